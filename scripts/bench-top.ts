/**
 * npm run bench:top — `hamon top` (compiled) on a real pseudo-terminal
 * (tmux, 160×50) against a compiled monitor watching 1,000 registered
 * components (scripts/swarm.ts) and a simulated fast path of 64 cores
 * (hbsim), in one run:
 *  1. steady appliance, --seconds (20): redraws per second (frames seen on
 *     the terminal, through tmux pipe-pane) and the client's CPU (% of one
 *     core, from /proc: utime + stime);
 *  2. a burst: the swarm killed, 1,000 components gone at once (each a
 *     `disconnected`, a `recover` and a `no-action` event): the client's CPU
 *     and redraws over the next 5 s, how long until the screen settles (no
 *     backlog: it shows the monitor's last state), and write(2) calls on the
 *     terminal per redraw (strace, when installed): one write per redraw,
 *     no flicker.
 * Options: --seconds S (20)  --source
 */
import { parseArgs } from "node:util";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processCpuTicks } from "../src/sys/proc.ts";
import { Session } from "../src/library/session.ts";
import { startSim, tmpPath } from "../test/helpers/hbsim.ts";
import { startMonitor } from "../test/helpers/monitor-proc.ts";
import { until } from "../test/helpers/wait.ts";
import { hamonArgv } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { seconds: { type: "string", default: "20" }, source: { type: "boolean", default: false } } });
const SECONDS = Number(values.seconds);
const TICK_HZ = 100;
if (!Bun.which("tmux")) {
  console.error("bench:top needs tmux (a real pseudo-terminal)");
  process.exit(1);
}
const hamon = hamonArgv(values.source);
const dir = mkdtempSync(join(tmpdir(), "hamon-bench-top-"));
const hb = tmpPath();
const sim = await startSim(hb, 64, { paceUs: 1_000 }); // 64 cores beating at 1 kHz each: not 64 threads spinning on 2 CPUs
const cfg = join(dir, "hamon.toml");
writeFileSync(cfg, `[monitor]\ntick_ms = 10\n[[fastpath]]\nname = "dataplane"\nheartbeat = "${hb}"\n`);
const mon = await startMonitor(["--config", cfg, "--log-level", "error"], hamon);
const swarm = Bun.spawn([process.execPath, join(import.meta.dir, "swarm.ts"), mon.sock, "1000"], { stdout: "pipe", stderr: "inherit" });
const reader = swarm.stdout.getReader();
for (let text = ""; !text.includes("ready 1000"); text += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array())) { /* wait */ }

const session = `hamon-bench-top-${process.pid}`;
const tmux = (...a: string[]) => Bun.spawnSync(["tmux", ...a], { stdout: "pipe", stderr: "pipe" });
const screenLog = join(dir, "screen.out");
const quoted = [...hamon, "top", "--socket", mon.sock].map((a) => `'${a}'`).join(" ");
tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", quoted);
tmux("pipe-pane", "-o", "-t", session, `cat >> ${screenLog}`);
const pid = Number(tmux("display-message", "-p", "-t", session, "#{pane_pid}").stdout.toString().trim());
const screen = () => tmux("capture-pane", "-p", "-t", session).stdout.toString();
const frames = () => {
  try {
    return readFileSync(screenLog, "latin1").split("\u001b[H").length - 1;
  } catch {
    return 0;
  }
};
await until(() => screen().includes("fast path dataplane: 64 cores") && screen().includes("1001 components"), "top's first screen", 30_000, screen);
await Bun.sleep(3_000); // past start-up

// 1. Steady.
let f0 = frames();
let c0 = processCpuTicks(pid);
let t0 = performance.now();
await Bun.sleep(SECONDS * 1_000);
const steadyS = (performance.now() - t0) / 1_000;
const steadyFrames = frames() - f0;
const steadyCpu = ((processCpuTicks(pid) - c0) / TICK_HZ / steadyS) * 100;

// 2. The burst, with strace counting the writes on the terminal when it is there.
const strace = Bun.which("strace") ? Bun.spawn(["strace", "-f", "-qq", "-e", "trace=write,writev", "-e", "signal=none", "-p", String(pid), "-o", join(dir, "strace.out")], { stderr: "ignore" }) : null;
if (strace) await Bun.sleep(500);
// The monitor's own last event of the burst, seen by a subscriber here: top's screen must settle soon after.
let lastEvent = 0;
let burstEvents = 0;
const sub = await Session.open(mon.sock, { role: "subscriber", onMessage: (m) => { if (m.type === "event") { lastEvent = performance.now(); burstEvents++; } } });
await sub.request({ type: "subscribe", id: sub.nextId() });
const before = screen();
f0 = frames();
c0 = processCpuTicks(pid);
t0 = performance.now();
swarm.kill("SIGKILL");
let lastChange = performance.now();
let last = screen();
while (performance.now() - t0 < 5_000) {
  await Bun.sleep(50);
  const s = screen();
  if (s !== last) {
    last = s;
    lastChange = performance.now();
  }
}
const burstS = (performance.now() - t0) / 1_000;
const burstFrames = frames() - f0;
const burstCpu = ((processCpuTicks(pid) - c0) / TICK_HZ / burstS) * 100;
strace?.kill("SIGINT");
await strace?.exited;
let writesPerFrame = "strace not installed";
if (strace) {
  const lines = readFileSync(join(dir, "strace.out"), "utf8").split("\n");
  const ttyWrites = lines.filter((l) => /write\(1, "\\33\[H/.test(l) || /writev\(1,/.test(l)).length;
  const partial = lines.filter((l) => /write\(1, "(?!\\33\[H)/.test(l)).length;
  writesPerFrame = `${ttyWrites} frame writes on the terminal, ${partial} other writes on it`;
}
sub.close();
const settled = ((lastChange - t0) / 1_000).toFixed(2);
const lag = ((lastChange - lastEvent) / 1_000).toFixed(2);
const gone = screen().includes("down") || screen() !== before;

console.log("== hamon top: 1,000 components + a 64-core fast path, a 160×50 terminal (tmux) ==");
console.log(`| phase | redraws/s | client CPU (% of a core) | |`);
console.log(`|---|---|---|---|`);
console.log(`| steady, ${steadyS.toFixed(0)} s | ${(steadyFrames / steadyS).toFixed(2)} | ${steadyCpu.toFixed(2)} % | target ≤ 1 % |`);
console.log(`| burst: 1,000 components gone at once, 5 s | ${(burstFrames / burstS).toFixed(2)} (${burstFrames} in all) | ${burstCpu.toFixed(2)} % | ${burstEvents} events; the monitor's last ${((lastEvent - t0) / 1_000).toFixed(2)} s after the kill, top's screen settled ${settled} s after it (${lag} s after the last event)${gone ? "" : " (no change seen!)"}; ${writesPerFrame} |`);

tmux("kill-session", "-t", session);
await mon.stop();
await sim.kill();
