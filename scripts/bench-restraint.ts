/**
 * npm run bench:restraint — what an unprivileged user or a daemon can cost
 * the root monitor (issue 27), each beside its target in the same run:
 *  1. a /metrics flood by nobody (5 s, 64 requests in flight) with 50
 *     components: the monitor's loop lateness p99 (from its own histogram:
 *     the smallest bucket bound holding 99 % of the turns) and how many turns
 *     were over 50 ms; the monitor's CPU during the flood; how the flood was
 *     answered (200 / 429);
 *  2. a daemon writing 100 MB/s to its stdout for 10 s (output = "log",
 *     log_max_bytes 1 MiB, log_keep 2: a 3 MiB bound): the peak real disk
 *     use of its logs, sampled every 10 ms; loop lateness as above; lines
 *     lost (gaps in the numbered lines the retained files hold);
 *  3. an exec check that prints without end (`yes`), once a second for 20 s:
 *     the monitor's RSS growth.
 * Options: --source (run from source, not dist/hamon)  --flood-seconds N (5)  --log-seconds N (10)
 *          --only metrics|logs|exec (one part)
 */
import { parseArgs } from "node:util";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processCpuTicks } from "../src/sys/proc.ts";
import { startMonitor, upCount, type MonitorProc } from "../test/helpers/monitor-proc.ts";
import { hamonArgv } from "./bench-lib.ts";
import { freePort } from "../test/helpers/port.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  source: { type: "boolean", default: false }, "flood-seconds": { type: "string", default: "5" }, "log-seconds": { type: "string", default: "10" }, only: { type: "string", default: "" },
} });
const self = hamonArgv(values.source);
const FLOOD_S = Number(values["flood-seconds"]);
const LOG_S = Number(values["log-seconds"]);
const FLOODER = join(import.meta.dir, "..", "test", "fixtures", "metrics-flood.ts");
const MiB = 1024 * 1024;


/** Lateness histogram from a Prometheus textfile: cumulative counts by bucket bound (seconds). */
function histogram(textfile: string): { bounds: number[]; cum: number[] } {
  const text = readFileSync(textfile, "utf8");
  const bounds: number[] = [];
  const cum: number[] = [];
  for (const m of text.matchAll(/hamon_monitor_loop_lateness_seconds_bucket\{le="([^"]+)"\} (\d+)/g)) {
    bounds.push(m[1] === "+Inf" ? Infinity : Number(m[1]));
    cum.push(Number(m[2]));
  }
  return { bounds, cum };
}

/** Between two histograms: turns, turns over 50 ms, and the p99 bucket bound in ms. */
function lateness(a: ReturnType<typeof histogram>, b: ReturnType<typeof histogram>): { turns: number; over50: number; p99: string } {
  const d = b.cum.map((c, i) => c - (a.cum[i] ?? 0));
  const turns = d.at(-1) ?? 0;
  const i50 = b.bounds.indexOf(0.05);
  const over50 = turns - (d[i50] ?? 0);
  const k = d.findIndex((c) => c >= 0.99 * turns);
  const bound = b.bounds[k] ?? Infinity;
  return { turns, over50, p99: bound === Infinity ? "> 2.5 s" : `≤ ${bound * 1000} ms` };
}

/**
 * A monitor with `toml`, a Prometheus textfile (its lateness histogram is read
 * from there), and an owned demo fast path polled every 10 ms: the loop turns
 * 100 times a second, so lateness is sampled as often as a real watchdog runs.
 */
async function monitorWith(toml: string): Promise<{ m: MonitorProc; textfile: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-bench-r-"));
  const textfile = join(dir, "hamon.prom");
  const cfg = join(dir, "hamon.toml");
  const hb = join(dir, "dp.hb");
  const fp = `[[fastpath]]\nname = "dp"\nheartbeat = "${hb}"\nstart = ${JSON.stringify([...self, "demo-fastpath", "--heartbeat", hb, "--cores", "2"])}\n`;
  writeFileSync(cfg, `[monitor]\nstop_on_exit = true\nstop_timeout_ms = 500\n[prometheus]\ntextfile = "${textfile}"\ninterval_ms = 100\n${toml}${fp}`);
  const m = await startMonitor(["--config", cfg, "--state-dir", join(dir, "state")], self);
  return { m, textfile, dir };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  for (const end = performance.now() + ms; !(await cond()); await Bun.sleep(20)) if (performance.now() > end) throw new Error("timed out");
}

const part = (name: string) => values.only === "" || values.only === name;

// 1. The /metrics flood.
if (part("metrics")) {
  const port = freePort();
  const daemons = Array.from({ length: 50 }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ["/bin/sleep", "600"]\nready = "started"\n`).join("");
  const { m, textfile } = await monitorWith(`listen = "127.0.0.1:${port}"\n${daemons}`);
  await waitFor(async () => (await upCount(m.sock)) === 51, 20_000);
  await Bun.sleep(500);
  const h0 = histogram(textfile);
  const cpu0 = processCpuTicks(m.proc.pid);
  const t0 = performance.now();
  const flood = Bun.spawn(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, FLOODER, `http://127.0.0.1:${port}/metrics`, String(FLOOD_S), "64"], { stdout: "pipe", stderr: "inherit", env: { PATH: process.env.PATH ?? "", HOME: "/tmp" } });
  const out = JSON.parse((await new Response(flood.stdout).text()).trim().split("\n").pop() ?? "{}") as { byStatus: Record<string, number> };
  const wall = (performance.now() - t0) / 1000;
  const cpu = (processCpuTicks(m.proc.pid) - cpu0) / 100 / wall * 100;
  await Bun.sleep(300);
  const l = lateness(h0, histogram(textfile));
  console.log(`/metrics flood by nobody, ${FLOOD_S} s, 64 in flight, 50 components:`);
  console.log(`  loop lateness p99 ${l.p99} (target ≤ 50 ms); ${l.over50} of ${l.turns} turns over 50 ms`);
  console.log(`  monitor CPU during the flood ${cpu.toFixed(1)} % of one core; answered: ${JSON.stringify(out.byStatus)}`);
  await m.stop();
}

// 2. The log flood.
if (part("logs")) {
  // 1 MiB of numbered 100-byte lines every 10 ms (about 100 MB/s), each chunk written whole (writeSync blocks while the
  // pipe is full: the log writer paces it). Numbers are written into one reused buffer: the writer must not be the bottleneck.
  const js = `const fs = require("fs"); const L = 100, K = 10486, buf = Buffer.alloc(L * K, 120);
for (let k = 0; k < K; k++) { buf[k * L + 12] = 32; buf[k * L + L - 1] = 10; }
const end = Date.now() + ${LOG_S} * 1000; let n = 0;
const tick = () => {
  if (Date.now() >= end) { fs.writeSync(2, "wrote " + n + "\\n"); return setInterval(() => {}, 1e6); }
  for (let k = 0; k < K; k++) { let v = ++n; for (let d = 11; d >= 0; d--) { buf[k * L + d] = 48 + (v % 10); v = Math.floor(v / 10); } }
  let off = 0; while (off < buf.length) off += fs.writeSync(1, buf, off, buf.length - off);
  setTimeout(tick, Math.max(0, 10 - (Date.now() - t0) % 10)); };
const t0 = Date.now(); tick();`;
  const dir = mkdtempSync(join(tmpdir(), "hamon-bench-flood-"));
  const script = join(dir, "flood.js");
  writeFileSync(script, js);
  chmodSync(dir, 0o755);
  const { m, textfile, dir: mdir } = await monitorWith(`[[component]]\nname = "flood"\nstart = ${JSON.stringify([process.execPath, script])}\nready = "started"\noutput = "log"\nlog_max_bytes = ${MiB}\nlog_keep = 2\n`);
  const logs = join(mdir, "state", "logs");
  await Bun.sleep(200);
  const h0 = histogram(textfile);
  let peak = 0;
  const usage = () => {
    let disk = 0;
    try {
      for (const f of readdirSync(logs)) {
        try {
          disk += statSync(join(logs, f)).blocks * 512;
        } catch { /* rotated away */ }
      }
    } catch { /* not yet */ }
    return disk;
  };
  const t0 = performance.now();
  while (performance.now() - t0 < LOG_S * 1000 + 500) {
    peak = Math.max(peak, usage());
    await Bun.sleep(10);
  }
  const l = lateness(h0, histogram(textfile));
  // Lines lost: the retained files, oldest first, must hold a gapless run of numbers ending with the last one written.
  const base = join(logs, "flood.log");
  const text = [`${base}.2`, `${base}.1`, base].map((f) => { try { return readFileSync(f, "utf8"); } catch { return ""; } }).join("");
  const nums = text.split("\n").filter((x) => /^\d{12} /.test(x)).map((x) => Number(x.slice(0, 12))); // its stderr ("wrote N") shares the pipe
  let gaps = 0;
  for (let i = 1; i < nums.length; i++) if (nums[i] !== nums[i - 1]! + 1) gaps += nums[i]! - nums[i - 1]! - 1;
  console.log(`daemon log flood, ~100 MB/s for ${LOG_S} s, log_max_bytes 1 MiB, log_keep 2 (bound 3 MiB):`);
  console.log(`  peak real disk use of its logs ${(peak / MiB).toFixed(2)} MiB (target ≤ bound + 1 MiB = 4 MiB)`);
  console.log(`  loop lateness p99 ${l.p99} (target ≤ 50 ms); ${l.over50} of ${l.turns} turns over 50 ms`);
  const wrote = Number(/wrote (\d+)/.exec(text)?.[1] ?? 0);
  console.log(`  written: ${wrote} lines (${(wrote * 100 / MiB / LOG_S).toFixed(0)} MiB/s); lines lost in the retained window: ${gaps} (of ${nums.length} retained, the last ${nums.at(-1)}${nums.at(-1) === wrote ? ", the last written" : ""})`);
  await m.stop();
}

// 3. Endless exec-check output, beside the same monitor running /bin/true as its check (what a monitor grows by anyway).
async function execGrowth(argv: string): Promise<{ before: number; after: number }> {
  const { m } = await monitorWith(`[[component]]\nname = "chatty"\nstart = ["/bin/sleep", "600"]\nready = "started"\n[[component.check]]\nname = "out"\nmode = "exec"\nargv = ["${argv}"]\nperiod_ms = 1000\ntimeout_ms = 1000\nfall = 100\n`);
  await Bun.sleep(5_000);
  const before = m.rssKiB();
  await Bun.sleep(30_000);
  const after = m.rssKiB();
  await m.stop();
  return { before, after };
}
if (part("exec")) {
  const yes = await execGrowth("/usr/bin/yes");
  const quiet = await execGrowth("/bin/true");
  const g = (x: { before: number; after: number }) => (x.after - x.before) / 1024;
  console.log(`an exec check printing without end (yes), every second for 30 s (after 5 s of warm-up):`);
  console.log(`  monitor RSS ${(yes.before / 1024).toFixed(1)} → ${(yes.after / 1024).toFixed(1)} MiB: growth ${g(yes).toFixed(2)} MiB; the same monitor with /bin/true as its check: ${g(quiet).toFixed(2)} MiB; the difference ${(g(yes) - g(quiet)).toFixed(2)} MiB (target ≤ 1 MiB)`);
}
