/**
 * npm run bench:plain — plain daemons (no library) owned by one monitor,
 * beside the same daemons under runit and supervisord (Debian's runit and
 * supervisor, when installed), in the same run:
 *  1. start of all N until all ready (hamon: `ready = "started"`), and how
 *     late the monitor's loop ran meanwhile;
 *  2. kill -9 of one → running again, p50/p95 over --trials: every daemon is
 *     `sh -c 'echo $$ > PIDFILE; exec sleep infinity'`, and "running again" is
 *     the moment its new pid is in its file, seen through inotify (fs.watch):
 *     the same measure for both supervisors, with no polling of ours;
 *  3. idle with process supervision only: supervisor CPU over --seconds,
 *     wake-ups per second by thread (context switches), PSS split into
 *     anonymous and file-backed; beside runit and supervisord;
 *  4. the same with a 1 s connect probe on each (one listener answers all),
 *     with a 1 s exec check (/bin/true) on 10 of them, and with a 1 s
 *     resource check on each (all four limits: every sample reads /proc).
 *  5. stalls: false restarts per 100 whole-machine stalls of 0.5–2 s (a
 *     real-time busy loop on every CPU), the daemons probed every second
 *     (500 ms deadline, one miss is a failure); runit in the same run has no
 *     probes, so its figure is 0 by construction (its restarts are counted
 *     all the same). Needs root. Target for hamon: 0.
 * Options: --daemons N (50)  --trials N (30)  --seconds S (30, the idle window)  --settle S (20, before it)  --stalls N (100, 0 skips)  --source
 *          --plain-only (rows 1–3 only: hamon, runit and supervisord with process supervision alone)
 */
import { parseArgs } from "node:util";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../src/library/session.ts";
import type { MessageOf } from "../src/protocol/messages.ts";
import { startMonitor, upCount } from "../test/helpers/monitor-proc.ts";
import { hamonArgv, idleDelta, pct, threadCounters } from "./bench-lib.ts";
import { stallMachine } from "../test/helpers/stall.ts";
import { daemonArgv, killAndWait, readPid } from "../test/helpers/pid-restart.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  daemons: { type: "string", default: "50" }, trials: { type: "string", default: "30" }, seconds: { type: "string", default: "30" }, settle: { type: "string", default: "20" }, stalls: { type: "string", default: "100" }, source: { type: "boolean", default: false }, "plain-only": { type: "boolean", default: false },
} });
const N = Number(values.daemons);
const TRIALS = Number(values.trials);
const SECONDS = Number(values.seconds);
const SETTLE_S = Number(values.settle);
const STALLS = values["plain-only"] ? 0 : Number(values.stalls);
const self = hamonArgv(values.source);
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** PSS, and its anonymous part (heap, stacks): the rest is file-backed, clean pages of the executable, shared and reclaimable. */
function pssKiB(pid: number): { pss: number; anon: number } {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return { pss: Number(/^Pss:\s+(\d+)/m.exec(t)?.[1] ?? 0), anon: Number(/^Pss_Anon:\s+(\d+)/m.exec(t)?.[1] ?? 0) };
  } catch {
    return { pss: 0, anon: 0 };
  }
}
function children(pid: number): number[] {
  const out: number[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const c = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim();
    if (c) out.push(...c.split(" ").map(Number));
  }
  return out;
}
interface Idle { cpu: number; pssMiB: number; anonMiB: number; fileMiB: number; wakeups: number; byThread: string; ended: number }
async function idleCost(pids: () => number[], seconds: number): Promise<Idle> {
  await Bun.sleep(SETTLE_S * 1000); // settle: what a start or the trials left behind (GC and JIT threads at work for seconds after) is not idleness
  const a = threadCounters(pids());
  await Bun.sleep(seconds * 1000);
  const ps = pids();
  const d = idleDelta(a, threadCounters(ps), seconds);
  const mem = ps.map(pssKiB);
  const pssMiB = mem.reduce((x, m) => x + m.pss, 0) / 1024, anonMiB = mem.reduce((x, m) => x + m.anon, 0) / 1024;
  return { cpu: d.cpuPct, pssMiB, anonMiB, fileMiB: pssMiB - anonMiB, wakeups: d.wakeups, byThread: d.byThread, ended: d.ended };
}
/** One line for an idle measurement, the same for every supervisor. */
const idleLine = (who: string, i: Idle) => `idle ${SECONDS} s (after ${SETTLE_S} s): ${who} CPU ${i.cpu.toFixed(3)} % of a core, ${i.wakeups.toFixed(2)} wake-ups/s (${i.byThread || "none"}${i.ended ? `; ${i.ended} threads ended in the window` : ""}), PSS ${i.pssMiB.toFixed(1)} MiB = anonymous ${i.anonMiB.toFixed(1)} + file-backed ${i.fileMiB.toFixed(1)} MiB`;

type Ev = MessageOf<"event">;
/** p50 of the floor (spawn → pid in file with nobody supervising): a supervisor's own share is its p50 minus this. */
let floorMs = 0;
const share = (p50: number) => `supervisor's own share ${ms(Math.max(0, p50 - floorMs))} above the floor`;

/** `n` stalls of 0.5–2 s, one second apart; returns how long each lasted. */
async function stalls(n: number): Promise<number[]> {
  const lasted: number[] = [];
  for (let k = 0; k < n; k++) {
    const s = 0.5 + Math.random() * 1.5;
    await stallMachine(s);
    lasted.push(s);
    await Bun.sleep(1_000);
  }
  return lasted;
}

async function hamonRun(extraChecks: (i: number) => string, label: string, measureRestart: boolean, stallCount = 0): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-plain-"));
  const pids = mkdtempSync(join(tmpdir(), "hamon-plain-pids-"));
  const comps = Array.from({ length: N }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ${JSON.stringify(daemonArgv(pids, i))}\nready = "started"\ngrace_ms = 0\nflap_restarts = 1000\nladder = []\nbackoff_reset_ms = 1\n${extraChecks(i)}`).join("");
  writeFileSync(join(dir, "hamon.toml"), `[monitor]\nstop_on_exit = true\n${comps}`);
  const t0 = performance.now();
  const argv = ["--config", join(dir, "hamon.toml"), "--state-dir", join(dir, "state"), "--log-level", "error"];
  let mon = await startMonitor(argv, self);
  while ((await upCount(mon.sock)) < N) await Bun.sleep(5);
  const startMs = performance.now() - t0;
  const events: Ev[] = [];
  const waiters: ((e: Ev) => void)[] = [];
  const subscribe = async (sock: string) => {
    const s = await Session.open(sock, { role: "subscriber", onMessage: (m) => { if (m.type === "event") { events.push(m); for (const w of waiters.splice(0)) w(m); } } });
    await s.request({ type: "subscribe", id: s.nextId() });
    return s;
  };
  let sub = await subscribe(mon.sock);
  console.log(`\n== hamon, ${N} plain daemons${label} ==`);
  console.log(`start of all ${N} until all up: ${ms(startMs)}`);
  if (measureRestart) {
    const lat: number[] = [];
    for (let k = 0; k < TRIALS; k++) {
      lat.push(await killAndWait(pids, k % N));
      await Bun.sleep(30);
    }
    console.log(`kill -9 → running again: p50 ${ms(pct(lat, 0.5))}  p95 ${ms(pct(lat, 0.95))}  (target p50 ≤ 5 ms and ≤ 0.5× runit's); ${share(pct(lat, 0.5))}`);
    // Adopted: the monitor is killed -9 and a new one adopts every daemon (reparented to PID 1, not its children): the same measure.
    sub.close();
    mon.proc.kill("SIGKILL");
    await mon.proc.exited;
    mon = await startMonitor(argv, self);
    while ((await upCount(mon.sock)) < N) await Bun.sleep(5);
    sub = await subscribe(mon.sock);
    const adopted: number[] = [];
    for (let k = 0; k < Math.min(TRIALS, N); k++) {
      adopted.push(await killAndWait(pids, k));
      await Bun.sleep(30);
    }
    console.log(`adopted (after a monitor kill -9): kill -9 → running again: p50 ${ms(pct(adopted, 0.5))}  p95 ${ms(pct(adopted, 0.95))}  (${(pct(adopted, 0.5) / pct(lat, 0.5)).toFixed(2)}× the child's; target ≤ 3×)`);
  }
  if (stallCount > 0) {
    const mark = events.length;
    await stalls(stallCount);
    await Bun.sleep(2_000);
    const after = events.slice(mark);
    const restarts = after.filter((e) => e.event === "recover").length;
    const said = after.filter((e) => e.event === "monitor-degraded").length;
    console.log(`${stallCount} stalls of 0.5–2 s: false restarts ${restarts} (${(restarts * 100 / stallCount).toFixed(1)} per 100 stalls; target 0), monitor-degraded events ${said}`);
    sub.close();
    return void (await mon.stop());
  }
  const idle = await idleCost(() => [mon.proc.pid], SECONDS);
  const late = events.filter((e) => e.event === "monitor-degraded").length;
  console.log(`${idleLine("monitor", idle)} (file-backed: the executable's own clean pages, shared and reclaimable), monitor-degraded events ${late}`);
  sub.close();
  await mon.stop();
}

// The floor under any supervisor here: spawning the daemon and its writing its pid, with no death to notice.
{
  const dir = mkdtempSync(join(tmpdir(), "hamon-plain-floor-"));
  const lat: number[] = [];
  for (let k = 0; k < TRIALS; k++) {
    const file = join(dir, `d${k}.pid`);
    const t = performance.now();
    const p = Bun.spawn(daemonArgv(dir, k), { stdio: ["ignore", "ignore", "ignore"] });
    while (readPid(file) === 0) await Bun.sleep(0);
    lat.push(performance.now() - t);
    p.kill("SIGKILL");
    await p.exited;
  }
  floorMs = pct(lat, 0.5);
  console.log(`\n== the floor: spawn → its pid in its file, no supervisor (${TRIALS} trials) ==\np50 ${ms(floorMs)}  p95 ${ms(pct(lat, 0.95))}  (what fork, exec and sh's own start cost on this machine)`);
}

await hamonRun(() => "", "", true);
if (!values["plain-only"]) await checkRows();
/** Rows 4 and 5: checks on every daemon, and the stalls. */
async function checkRows(): Promise<void> {
  const pong = Bun.spawn([process.execPath, join(import.meta.dir, "..", "test", "fixtures", "pong.ts"), "39431"], { stdio: ["ignore", "ignore", "inherit"] });
  await Bun.sleep(300);
  await hamonRun(() => `[[component.check]]\nname = "p"\nmode = "probe"\nconnect = "tcp://127.0.0.1:39431"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 1000\ntimeout_ms = 500\n`, ", a 1 s connect probe (send/expect) on each", false);
  if (STALLS > 0) await hamonRun(() => `[[component.check]]\nname = "p"\nmode = "probe"\nconnect = "tcp://127.0.0.1:39431"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 1000\ntimeout_ms = 500\nfall = 1\n`, `, a 1 s probe on each (fall = 1), under ${STALLS} whole-machine stalls`, false, STALLS);
  pong.kill();
  await hamonRun((i) => (i < 10 ? `[[component.check]]\nname = "x"\nmode = "exec"\nargv = ["/bin/true"]\nperiod_ms = 1000\ntimeout_ms = 500\n` : ""), ", a 1 s exec check on 10", false);
  // Resource checks: every daemon's /proc read each second (stat, statm, limits, a getdents of fd/), by the monitor itself.
  await hamonRun(() => `[[component.check]]\nname = "mem"\nmode = "resource"\nrss_max = "1GiB"\nfds_max_pct = 90\nthreads_max = 64\ncpu_max_pct = 90\nperiod_ms = 1000\n`, ", a 1 s resource check on each (rss, fds, threads, cpu)", false);

}
// runit, the same daemons.
if (!Bun.which("runsvdir")) {
  console.log("\n== runit: not installed (apt-get install runit) ==");
} else {
  const dir = mkdtempSync(join(tmpdir(), "runit-plain-"));
  for (let i = 0; i < N; i++) {
    mkdirSync(join(dir, `d${i}`));
    writeFileSync(join(dir, `d${i}`, "run"), `#!/bin/sh\nexec ${daemonArgv(dir, i).map((a) => `'${a}'`).join(" ")}\n`);
    chmodSync(join(dir, `d${i}`, "run"), 0o755);
  }
  const t0 = performance.now();
  const rsd = Bun.spawn(["runsvdir", "-P", dir], { stdio: ["ignore", "ignore", "ignore"] });
  const runsvs = () => children(rsd.pid);
  const sleeps = () => runsvs().flatMap((p) => children(p));
  while (sleeps().length < N) await Bun.sleep(5);
  console.log(`\n== runit (runsvdir + ${N} runsv), the same ${N} daemons ==`);
  console.log(`start of all ${N} until all running: ${ms(performance.now() - t0)}`);
  await Bun.sleep(1_500); // runsv waits 1 s before restarting a service that ran less than 1 s
  const lat: number[] = [];
  for (let k = 0; k < TRIALS; k++) {
    lat.push(await killAndWait(dir, k % N));
    await Bun.sleep(30);
  }
  console.log(`kill -9 → running again: p50 ${ms(pct(lat, 0.5))}  p95 ${ms(pct(lat, 0.95))}; ${share(pct(lat, 0.5))}`);
  const idle = await idleCost(() => [rsd.pid, ...runsvs()], SECONDS);
  console.log(idleLine("runsvdir + runsv", idle));
  if (STALLS > 0) {
    const before = Array.from({ length: N }, (_, i) => readPid(join(dir, `d${i}.pid`)));
    await stalls(STALLS);
    const restarted = before.filter((p, i) => readPid(join(dir, `d${i}.pid`)) !== p).length;
    console.log(`${STALLS} stalls of 0.5–2 s: restarts ${restarted} (runit has no probes: 0 by construction; it cannot see a hung daemon either)`);
  }
  for (const p of sleeps()) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
  rsd.kill("SIGHUP");
  for (const p of runsvs()) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
}
// supervisord, the same daemons (Debian's supervisor package, when installed).
if (!Bun.which("supervisord")) {
  console.log("\n== supervisord: not installed (apt-get install supervisor) ==");
} else {
  const dir = mkdtempSync(join(tmpdir(), "supervisord-plain-"));
  let conf = `[supervisord]\nnodaemon=true\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}\n`;
  for (let i = 0; i < N; i++) conf += `[program:d${i}]\ncommand=${daemonArgv(dir, i).map((a) => `'${a}'`).join(" ")}\nautorestart=true\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n`;
  writeFileSync(join(dir, "supervisord.conf"), conf);
  const t0 = performance.now();
  const sd = Bun.spawn(["supervisord", "-n", "-c", join(dir, "supervisord.conf")], { stdio: ["ignore", "ignore", "ignore"] });
  const running = () => Array.from({ length: N }, (_, i) => readPid(join(dir, `d${i}.pid`))).filter((p) => p > 0).length;
  while (running() < N) await Bun.sleep(5);
  console.log(`\n== supervisord, the same ${N} daemons ==`);
  console.log(`start of all ${N} until all running: ${ms(performance.now() - t0)}`);
  await Bun.sleep(1_000);
  const lat: number[] = [];
  for (let k = 0; k < TRIALS; k++) {
    lat.push(await killAndWait(dir, k % N));
    await Bun.sleep(30);
  }
  console.log(`kill -9 → running again: p50 ${ms(pct(lat, 0.5))}  p95 ${ms(pct(lat, 0.95))}; ${share(pct(lat, 0.5))}`);
  console.log(idleLine("supervisord", await idleCost(() => [sd.pid], SECONDS)));
  for (const p of children(sd.pid)) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
  sd.kill("SIGKILL");
}
process.exit(0);
