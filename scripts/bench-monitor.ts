/**
 * npm run bench:monitor — prints the monitor-mode figures of the README:
 *  a. kill -9 of a daemon hamon spawned → running again (the "started"
 *     event) and → registered again ("ready"), p50/p95 over --trials (30);
 *  b. kill -9 of a connected component hamon did not spawn → decision
 *     ("recover" event), p50/p99 over --trials × 3;
 *  c. 1,000 registered components, each queried every second: monitor CPU
 *     (% of one core) and RSS over --seconds (20);
 *  d. idle with 50 components (same measure);
 *  e. heap objects allocated per 10,000 idle scheduler ticks (GC-counted).
 * The monitor is the compiled binary (built now) unless --source; latencies
 * are measured at the subscriber, so they include event delivery.
 * Options: --only a,b,c,d,e  --trials N  --seconds S  --source
 */
import { processCpuTicks as cpuTicks } from "../src/sys/proc.ts";
import { parseArgs } from "node:util";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../src/library/session.ts";
import type { MessageOf } from "../src/protocol/messages.ts";
import { collectionsBetweenMarkers } from "../test/helpers/gc-count.ts";
import { startMonitor, type MonitorProc } from "../test/helpers/monitor-proc.ts";
import { hamonArgv, pct } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  only: { type: "string", default: "a,b,c,d,e" }, trials: { type: "string", default: "30" }, seconds: { type: "string", default: "20" }, source: { type: "boolean", default: false },
} });
const ONLY = new Set(values.only.split(","));
const TRIALS = Number(values.trials);
const SECONDS = Number(values.seconds);
const self = hamonArgv(values.source);
const TICK_HZ = 100; // USER_HZ on Linux

type Ev = MessageOf<"event">;

const ms = (x: number) => `${x.toFixed(2)} ms`;

async function monitorWith(toml: string): Promise<{ mon: MonitorProc; events: Ev[]; waiters: ((e: Ev) => void)[]; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-bench-"));
  writeFileSync(join(dir, "hamon.toml"), toml);
  const mon = await startMonitor(["--config", join(dir, "hamon.toml"), "--state-dir", join(dir, "state"), "--log-level", "error"], self);
  const events: Ev[] = [];
  const waiters: ((e: Ev) => void)[] = [];
  const sub = await Session.open(mon.sock, { role: "subscriber", onMessage: (m) => {
    if (m.type !== "event") return;
    events.push(m);
    for (const w of waiters.splice(0)) w(m);
  } });
  await sub.request({ type: "subscribe", id: sub.nextId() });
  return { mon, events, waiters, async close() { sub.close(); await mon.stop(); } };
}

function nextEvent(h: { waiters: ((e: Ev) => void)[] }, match: (e: Ev) => boolean, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout waiting for event")), timeoutMs);
    const w = (e: Ev) => {
      if (match(e)) {
        clearTimeout(t);
        resolve(performance.now());
      } else h.waiters.push(w);
    };
    h.waiters.push(w);
  });
}

async function showPid(sock: string, name: string): Promise<number> {
  const s = await Session.open(sock, { role: "client" });
  const r = await s.request({ type: "command", id: s.nextId(), verb: "show", target: name, kind: "" });
  s.close();
  return r.type === "result" ? r.components[0]?.pid ?? 0 : 0;
}

if (ONLY.has("a")) {
  const argv = JSON.stringify([...self, "demo-component", "--name", "svc"]);
  // A generous ladder and flap limit: every trial is a plain restart-daemon.
  const h = await monitorWith(`[monitor]\nstop_on_exit = true\n[[component]]\nname = "svc"\nstart = ${argv}\ngrace_ms = 0\nflap_restarts = 1000\nbackoff_reset_ms = 1\nladder = []\n`);
  await nextEvent(h, (e) => e.component === "svc" && e.event === "ready").catch(() => 0);
  const running: number[] = [];
  const registered: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    let pid = 0;
    while (!(pid = await showPid(h.mon.sock, "svc"))) await Bun.sleep(5);
    const started = nextEvent(h, (e) => e.component === "svc" && e.event === "started");
    const ready = nextEvent(h, (e) => e.component === "svc" && e.event === "ready");
    const t0 = performance.now();
    process.kill(pid, "SIGKILL");
    running.push((await started) - t0);
    registered.push((await ready) - t0);
    await Bun.sleep(50);
  }
  console.log(`== (a) kill -9 of a spawned daemon, ${TRIALS} trials ==`);
  console.log(`running again:    p50 ${ms(pct(running, 0.5))}  p95 ${ms(pct(running, 0.95))}   (target p50 ≤ 10 ms; runit/s6 14 ms, monit 603 ms, supervisord 1,044 ms here)`);
  console.log(`registered again: p50 ${ms(pct(registered, 0.5))}  p95 ${ms(pct(registered, 0.95))}   (includes the daemon's own start-up)`);
  await h.close();
}

if (ONLY.has("b")) {
  const h = await monitorWith(`[monitor]\nstop_on_exit = true\n[defaults]\ngrace_ms = 0\nflap_restarts = 1000\nbackoff_reset_ms = 1\nladder = []\n`);
  const lat: number[] = [];
  const n = TRIALS * 3;
  for (let i = 0; i < n; i++) {
    const name = `ext${i}`;
    const p = Bun.spawn([...self, "demo-component", "--name", name], { env: { ...process.env, HAMON_SOCKET: h.mon.sock }, stdio: ["ignore", "ignore", "inherit"] });
    await nextEvent(h, (e) => e.component === name && e.event === "registered");
    await Bun.sleep(20);
    const decided = nextEvent(h, (e) => e.component === name && e.event === "recover");
    const t0 = performance.now();
    p.kill("SIGKILL");
    lat.push((await decided) - t0);
    await p.exited;
  }
  console.log(`== (b) kill -9 of a connected component hamon did not spawn, ${n} trials ==`);
  console.log(`decision event:   p50 ${ms(pct(lat, 0.5))}  p99 ${ms(pct(lat, 0.99))}   (target p50 ≤ 5 ms)`);
  await h.close();
}

async function swarmLoad(label: string, n: number, target: string): Promise<void> {
  const h = await monitorWith(`[monitor]\nstop_on_exit = true\n`);
  const swarm = Bun.spawn([process.execPath, join(import.meta.dir, "swarm.ts"), h.mon.sock, String(n)], { stdout: "pipe", stderr: "inherit" });
  const reader = swarm.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("swarm exited before ready");
    out += new TextDecoder().decode(value);
  }
  await Bun.sleep(3_000); // let registration settle and checks spread out
  const failsBefore = h.events.filter((e) => e.event === "check-failed").length;
  const c0 = cpuTicks(h.mon.proc.pid);
  const t0 = performance.now();
  await Bun.sleep(SECONDS * 1000);
  const cpu = ((cpuTicks(h.mon.proc.pid) - c0) / TICK_HZ) / ((performance.now() - t0) / 1000) * 100;
  const fails = h.events.filter((e) => e.event === "check-failed").length - failsBefore;
  console.log(`== (${label}) ${n} registered components, each queried every second, ${SECONDS} s ==`);
  console.log(`monitor CPU ${cpu.toFixed(2)} % of one core   RSS ${(h.mon.rssKiB() / 1024).toFixed(1)} MiB   check failures ${fails}   (${target})`);
  swarm.kill("SIGTERM");
  await swarm.exited;
  await h.close();
}

if (ONLY.has("c")) await swarmLoad("c", 1000, "targets ≤ 3 %, ≤ 64 MiB");
if (ONLY.has("d")) await swarmLoad("d", 50, "targets ≤ 0.3 %, ≤ 40 MiB; monit 1.0 % / 7.8 MiB, supervisord 0.1 % / 31 MiB here");

if (ONLY.has("e")) {
  const child = join(import.meta.dir, "..", "test", "fixtures", "tick-alloc.ts");
  const ticks = 100_000;
  const gcs = collectionsBetweenMarkers(child, ["table", String(ticks)]);
  console.log(`== (e) scheduler allocation, ${ticks.toLocaleString("en")} idle ticks over 1,000 checks ==`);
  console.log(`garbage collections: ${gcs} → heap objects per 10,000 idle ticks: ${gcs === 0 ? "0 (none detectable: < ~50 bytes per tick)" : `≥ ${gcs} collections' worth`}`);
}
process.exit(0);
