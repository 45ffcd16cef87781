/**
 * npm run bench:plain — plain daemons (no library) owned by one monitor,
 * beside the same daemons under runit (Debian's runit, when installed), in
 * the same run:
 *  1. start of all N until all ready (hamon: `ready = "started"`), and how
 *     late the monitor's loop ran meanwhile;
 *  2. kill -9 of one → running again (a new process), p50/p95 over --trials;
 *  3. idle with process supervision only: supervisor CPU over --seconds, PSS;
 *  4. the same with a 1 s connect probe on each (one listener answers all),
 *     and with a 1 s exec check (/bin/true) on 10 of them.
 * Options: --daemons N (50)  --trials N (30)  --seconds S (15)  --source
 */
import { processCpuTicks as cpuTicks } from "../src/sys/proc.ts";
import { parseArgs } from "node:util";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../src/library/session.ts";
import type { MessageOf } from "../src/protocol/messages.ts";
import { startMonitor, upCount } from "../test/helpers/monitor-proc.ts";
import { hamonArgv, pct } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  daemons: { type: "string", default: "50" }, trials: { type: "string", default: "30" }, seconds: { type: "string", default: "15" }, source: { type: "boolean", default: false },
} });
const N = Number(values.daemons);
const TRIALS = Number(values.trials);
const SECONDS = Number(values.seconds);
const self = hamonArgv(values.source);
const ms = (x: number) => `${x.toFixed(1)} ms`;

function pssKiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
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
async function idleCost(pids: () => number[], seconds: number): Promise<{ cpu: number; pssMiB: number }> {
  const before = pids().reduce((a, p) => a + cpuTicks(p), 0);
  await Bun.sleep(seconds * 1000);
  const ps = pids();
  const cpu = (ps.reduce((a, p) => a + cpuTicks(p), 0) - before) / (seconds * 100) * 100;
  return { cpu, pssMiB: ps.reduce((a, p) => a + pssKiB(p), 0) / 1024 };
}

type Ev = MessageOf<"event">;

async function hamonRun(extraChecks: (i: number) => string, label: string, measureRestart: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-plain-"));
  const comps = Array.from({ length: N }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ["/bin/sleep", "infinity"]\nready = "started"\ngrace_ms = 0\nflap_restarts = 1000\nladder = []\n${extraChecks(i)}`).join("");
  writeFileSync(join(dir, "hamon.toml"), `[monitor]\nstop_on_exit = true\n${comps}`);
  const t0 = performance.now();
  const mon = await startMonitor(["--config", join(dir, "hamon.toml"), "--state-dir", join(dir, "state"), "--log-level", "error"], self);
  while ((await upCount(mon.sock)) < N) await Bun.sleep(5);
  const startMs = performance.now() - t0;
  const events: Ev[] = [];
  const waiters: ((e: Ev) => void)[] = [];
  const sub = await Session.open(mon.sock, { role: "subscriber", onMessage: (m) => { if (m.type === "event") { events.push(m); for (const w of waiters.splice(0)) w(m); } } });
  await sub.request({ type: "subscribe", id: sub.nextId() });
  console.log(`\n== hamon, ${N} plain daemons${label} ==`);
  console.log(`start of all ${N} until all up: ${ms(startMs)}`);
  if (measureRestart) {
    const lat: number[] = [];
    for (let k = 0; k < TRIALS; k++) {
      const name = `d${k % N}`;
      const s = await Session.open(mon.sock, { role: "client" });
      const r = await s.request({ type: "command", id: s.nextId(), verb: "show", target: name, kind: "" });
      s.close();
      const pid = r.type === "result" ? r.components[0]!.pid : 0;
      const started = new Promise<number>((resolve) => {
        const w = (e: Ev) => (e.component === name && e.event === "started" ? resolve(performance.now()) : waiters.push(w));
        waiters.push(w);
      });
      const t = performance.now();
      process.kill(pid, "SIGKILL");
      lat.push((await started) - t);
      await Bun.sleep(30);
    }
    console.log(`kill -9 → running again: p50 ${ms(pct(lat, 0.5))}  p95 ${ms(pct(lat, 0.95))}  (target p50 ≤ 5 ms and ≤ 0.5× runit's)`);
  }
  const idle = await idleCost(() => [mon.proc.pid], SECONDS);
  const late = events.filter((e) => e.event === "monitor-degraded").length;
  console.log(`idle ${SECONDS} s: monitor CPU ${idle.cpu.toFixed(2)} % of a core, PSS ${idle.pssMiB.toFixed(1)} MiB, monitor-degraded events ${late}`);
  sub.close();
  await mon.stop();
}

await hamonRun(() => "", "", true);
const pong = Bun.spawn([process.execPath, join(import.meta.dir, "..", "test", "fixtures", "pong.ts"), "39431"], { stdio: ["ignore", "ignore", "inherit"] });
await Bun.sleep(300);
await hamonRun(() => `[[component.check]]\nname = "p"\nmode = "probe"\nconnect = "tcp://127.0.0.1:39431"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 1000\ntimeout_ms = 500\n`, ", a 1 s connect probe (send/expect) on each", false);
pong.kill();
await hamonRun((i) => (i < 10 ? `[[component.check]]\nname = "x"\nmode = "exec"\nargv = ["/bin/true"]\nperiod_ms = 1000\ntimeout_ms = 500\n` : ""), ", a 1 s exec check on 10", false);

// runit, the same daemons.
if (!Bun.which("runsvdir")) {
  console.log("\n== runit: not installed (apt-get install runit) ==");
} else {
  const dir = mkdtempSync(join(tmpdir(), "runit-plain-"));
  for (let i = 0; i < N; i++) {
    mkdirSync(join(dir, `d${i}`));
    writeFileSync(join(dir, `d${i}`, "run"), "#!/bin/sh\nexec /bin/sleep infinity\n");
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
    const sv = runsvs()[k % N]!;
    const [pid] = children(sv);
    const t = performance.now();
    process.kill(pid!, "SIGKILL");
    for (;;) {
      const c = children(sv);
      if (c.length && c[0] !== pid) break;
      await Bun.sleep(0.5);
    }
    lat.push(performance.now() - t);
    await Bun.sleep(30);
  }
  console.log(`kill -9 → running again: p50 ${ms(pct(lat, 0.5))}  p95 ${ms(pct(lat, 0.95))}`);
  const idle = await idleCost(() => [rsd.pid, ...runsvs()], SECONDS);
  console.log(`idle ${SECONDS} s: runsvdir + runsv CPU ${idle.cpu.toFixed(2)} % of a core, PSS ${idle.pssMiB.toFixed(1)} MiB`);
  for (const p of sleeps()) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
  rsd.kill("SIGHUP");
  for (const p of runsvs()) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
}
process.exit(0);
