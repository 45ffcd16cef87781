/**
 * npm run bench:cli — wall time of `hamon status` and `hamon check` (the
 * compiled binary, a fresh process each time, as cron or an operator runs
 * it), median and p95 over --runs (50), against a monitor with 50
 * components; beside `monit summary` and `supervisorctl status` when those
 * are installed and running.
 * Options: --runs N
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { startMonitor } from "../test/helpers/monitor-proc.ts";
import { hamonArgv } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { runs: { type: "string", default: "50" } } });
const RUNS = Number(values.runs);
const BIN = hamonArgv()[0]!;

function timeRuns(argv: string[]): { p50: number; p95: number; code: number } {
  const xs: number[] = [];
  let code = 0;
  Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" }); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" });
    xs.push(performance.now() - t0);
    code = r.exitCode ?? -1;
  }
  xs.sort((a, c) => a - c);
  return { p50: xs[Math.floor(xs.length / 2)]!, p95: xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!, code };
}

const mon = await startMonitor([], [BIN]);
const swarm = Bun.spawn([process.execPath, join(import.meta.dir, "swarm.ts"), mon.sock, "50", "c"], { stdout: "pipe", stderr: "inherit" });
const reader = swarm.stdout.getReader();
for (let text = ""; !text.includes("ready"); ) text += new TextDecoder().decode((await reader.read()).value);
try {
  console.log(`bench:cli — ${RUNS} runs each, monitor with 50 components, compiled binary`);
  for (const [label, argv] of [
    ["hamon status", [BIN, "status", "--socket", mon.sock]],
    ["hamon check", [BIN, "check", "--socket", mon.sock]],
    ["hamon list", [BIN, "list", "--socket", mon.sock]],
  ] as const) {
    const r = timeRuns([...argv]);
    console.log(`${label.padEnd(22)} median ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms (exit ${r.code})`);
  }
  for (const [label, argv] of [["monit summary", ["monit", "summary"]], ["supervisorctl status", ["supervisorctl", "status"]]] as const) {
    if (!Bun.which(argv[0])) {
      console.log(`${label.padEnd(22)} not installed`);
      continue;
    }
    const r = timeRuns([...argv]);
    console.log(`${label.padEnd(22)} median ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms (exit ${r.code})`);
  }
} finally {
  swarm.kill("SIGKILL");
  await mon.stop();
}
