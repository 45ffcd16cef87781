/**
 * npm run bench:memory — what the monitor's memory is made of, and what the
 * build options cost. For each build (the shipped one: minified, bytecode,
 * inline source map; then without each), one run of `hamon monitor` owning
 * --daemons plain daemons (`sleep infinity`), idle: RSS and PSS split into
 * anonymous (heap, stacks: ours) and file-backed (the executable's clean
 * pages: shared with every other hamon process, reclaimable under pressure);
 * the binary's size; the start time of a client verb (`hamon --version`,
 * p50 of 10) and of the monitor (exec → socket answering, p50 of 3).
 * Options: --daemons N (50)  --settle S (10)
 */
import { parseArgs } from "node:util";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMonitor } from "../test/helpers/monitor-proc.ts";
import { pct } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { daemons: { type: "string", default: "50" }, settle: { type: "string", default: "10" } } });
const N = Number(values.daemons);
const dir = mkdtempSync(join(tmpdir(), "hamon-bench-memory-"));
const cfg = join(dir, "m.toml");
writeFileSync(cfg, Array.from({ length: N }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ["/bin/sleep", "infinity"]\nready = "started"\n`).join(""));

const smaps = (pid: number) => {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(t)?.[1] ?? 0) / 1024;
  return { rss: kib("Rss"), pss: kib("Pss"), anon: kib("Pss_Anon"), file: kib("Pss_File") };
};

const variants: [string, string[]][] = [
  ["shipped: minified, bytecode, inline source map", []],
  ["not minified", ["--no-minify"]],
  ["no bytecode", ["--no-bytecode"]],
  ["no source map", ["--no-sourcemap"]],
  ["none of the three", ["--no-minify", "--no-bytecode", "--no-sourcemap"]],
];
console.log(`== hamon's memory: ${N} plain daemons owned, idle ${values.settle} s; one build per row ==`);
console.log("| build | binary | RSS | PSS | anonymous | file-backed | `--version` p50 | monitor start p50 |\n|---|---|---|---|---|---|---|---|");
for (const [label, flags] of variants) {
  const bin = join(dir, `hamon-${flags.join("").replace(/-/g, "") || "shipped"}`);
  const b = Bun.spawnSync([process.execPath, "build.ts", "--outfile", bin, ...flags], { cwd: join(import.meta.dir, ".."), stdout: "ignore", stderr: "inherit" });
  if (b.exitCode !== 0) process.exit(1);
  const version: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    Bun.spawnSync([bin, "--version"], { stdout: "ignore" });
    version.push(performance.now() - t);
  }
  const starts: number[] = [];
  let mem = { rss: 0, pss: 0, anon: 0, file: 0 };
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const mon = await startMonitor(["--config", cfg, "--state-dir", mkdtempSync(join(dir, "state-")), "--log-level", "error"], [bin]);
    starts.push(performance.now() - t);
    if (i === 2) {
      await Bun.sleep(Number(values.settle) * 1000);
      mem = smaps(mon.proc.pid);
    }
    await mon.stop();
  }
  const mib = (x: number) => `${x.toFixed(1)} MiB`;
  console.log(`| ${label} | ${mib(statSync(bin).size / 2 ** 20)} | ${mib(mem.rss)} | ${mib(mem.pss)} | ${mib(mem.anon)} | ${mib(mem.file)} | ${pct(version, 0.5).toFixed(1)} ms | ${pct(starts, 0.5).toFixed(0)} ms |`);
}
console.log("\nPSS counts a shared page once per process sharing it; with one hamon process on the machine, the file-backed part is the binary's own pages this process touched, clean and reclaimable (the kernel drops and re-reads them under pressure), not a leak.");
