/**
 * npm run bench:frr — Debian's FRR owned by hamon with docs/examples/frr.toml
 * (test/helpers/frr-lab.ts: its own network namespace), the compiled binary:
 *  - kill -9 of bgpd → its vty answering again, p50/p95 over --trials;
 *  - SIGSTOP of bgpd → its vty answering again (the 1 s vty check with a
 *    500 ms deadline sees the hang; SIGTERM + SIGCONT, restart), p50/p95.
 * FRR's own supervisor, watchfrr, measured on the same machine
 * (shared/research/real-programs.md): kill -9 → 5.5 s (then 55 s for a second
 * kill: a 60 s minimum restart interval); SIGSTOP → never recovered (its
 * restart script cannot end a stopped process).
 * The ladder and the flap quarantine are off for the run (every trial would
 * otherwise count toward them: 2 × trials failures in a few minutes).
 * Then "busy zebra": --routes N kernel routes (200,000) in the namespace
 * (zebra learns each), and `show ip route json` over them, --busy N times:
 * how long zebra's vty stayed silent each time, and whether hamon (1 s vty
 * check, 500 ms deadline, busy_max_ms 300 s) restarted it; then SIGSTOP of
 * zebra at a random phase → its recovery decided, --trials times (target ≤ 2 s).
 * The same table and the same command, in the same run, on FRR under its own
 * supervisor as Debian starts it (frrinit.sh: watchfrr with its defaults,
 * unresponsive after 90 s), and with watchfrr's -t 2 (a timeout that would
 * cure a hang about as fast as hamon does): who restarts zebra, and when.
 * Options: --trials N (10)  --routes N (200000)  --busy N (3)  --source (run from source, not the compiled binary)
 */
import { parseArgs } from "node:util";
import { frrUnavailable, newFrrLab, FRR_DAEMONS } from "../test/helpers/frr-lab.ts";
import { startWatchfrrLab } from "../test/helpers/watchfrr-lab.ts";
import { until } from "../test/helpers/wait.ts";
import { hamonArgv, pct } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { trials: { type: "string", default: "10" }, routes: { type: "string", default: "200000" }, busy: { type: "string", default: "3" }, source: { type: "boolean", default: false } } });
const TRIALS = Number(values.trials);
const why = frrUnavailable();
if (why) {
  console.error(`bench:frr: ${why}`);
  process.exit(1);
}
const hamon = hamonArgv(values.source);
const lab = newFrrLab();
try {
  const mon = await lab.startMonitor("[defaults]\ngrace_ms = 0\nladder = []\nflap_restarts = 1000\nbackoff_reset_ms = 1\n", hamon);
  const stateOf = async (d: string) => {
    const r = await mon.cmd("show", d);
    return r.type === "result" ? `${r.components[0]?.state}/${r.components[0]?.health}` : "?";
  };
  for (const d of FRR_DAEMONS) await until(async () => (await stateOf(d)) === "up/ok", `${d} up`, 20_000);
  const results: Record<string, number[]> = { "kill -9": [], SIGSTOP: [] };
  for (let i = 0; i < TRIALS; i++) {
    for (const [what, sig] of [["kill -9", "SIGKILL"], ["SIGSTOP", "SIGSTOP"]] as const) {
      await until(async () => (await stateOf("bgpd")) === "up/ok", "bgpd up", 20_000);
      // At a random phase of the 1 s check period, as a real hang would come.
      await Bun.sleep(300 + Math.random() * 1_000);
      const pid = lab.pidOf("bgpd");
      const t0 = performance.now();
      process.kill(pid, sig);
      results[what]!.push(await lab.untilAnswering("bgpd", t0));
      await until(() => lab.pidOf("bgpd") !== pid, "a new bgpd", 10_000);
    }
  }
  console.log(`FRR 8.4 (Debian), bgpd owned by hamon with docs/examples/frr.toml, ${TRIALS} trials each → vty answering again:`);
  console.log("| fault | hamon p50 | hamon p95 | watchfrr (FRR's defaults, measured here before) |");
  console.log("|---|---|---|---|");
  const f = (x: number) => `${x.toFixed(0)} ms`;
  const k = results["kill -9"]!, s = results.SIGSTOP!;
  console.log(`| kill -9 bgpd | ${f(pct(k, 0.5))} | ${f(pct(k, 0.95))} | 5.5 s (a second kill: 55 s) |`);
  console.log(`| SIGSTOP bgpd | ${f(pct(s, 0.5))} | ${f(pct(s, 0.95))} | never (unresponsive after 90 s, restart cannot end it) |`);
  console.log(`target for the hang: ≤ 2,000 ms with a 1 s check: ${pct(s, 0.5) <= 2_000 ? "met" : "NOT met"}`);

  // Busy zebra: a full table, and the command that keeps its event loop for seconds.
  lab.addKernelRoutes(Number(values.routes));
  const last = Number(values.routes) - 1;
  const probe = `20.${(last >> 16) & 255}.${(last >> 8) & 255}.${last & 255}/32`;
  await until(() => lab.vtysh(`show ip route ${probe}`).includes(probe), "zebra has the table", 300_000);
  const zpid = lab.pidOf("zebra");
  const mark = mon.events.length;
  const hamonBusy = await busyRuns({ vty: (ms) => lab.vty("zebra", ms), heavyShow: () => lab.heavyShow(), pid: () => lab.pidOf("zebra") }, async () => (await stateOf("zebra")) === "up/ok");
  const ev = mon.events.slice(mark).filter((e) => e.component === "zebra");
  const restarted = lab.pidOf("zebra") !== zpid || ev.some((e) => e.event === "recover");
  console.log(`\nbusy zebra: ${values.routes} kernel routes, then show ip route json ×${values.busy}, the same in each row:`);
  console.log("| supervisor | zebra's longest vty silence | zebra restarted? |\n|---|---|---|");
  console.log(`| hamon (docs/examples/frr.toml: 1 s vty check, 500 ms deadline, busy_max_ms 300 s) | ${hamonBusy.silence} ms | ${restarted ? "RESTARTED" : `never (busy said ${ev.filter((e) => e.event === "busy").length} time(s))`} |`);
  for (const t of [null, 2] as const) {
    const wl = startWatchfrrLab(`wf${process.pid % 10_000}${t ?? "d"}`, t);
    try {
      await until(async () => (await wl.vty(1_000)) === null, "zebra under watchfrr answering", 30_000);
      wl.addKernelRoutes(Number(values.routes));
      await until(() => wl.vtysh(`show ip route ${probe}`).includes(probe), "zebra has the table", 300_000);
      const r = await busyRuns({ vty: (ms) => wl.vty(ms), heavyShow: () => wl.heavyShow(), pid: () => wl.zebraPid() }, async () => (await wl.vty(1_000)) === null, 15_000);
      console.log(`| watchfrr ${t === null ? "as Debian starts it (frrinit.sh; unresponsive after 90 s)" : `-t ${t} (unresponsive after ${t} s)`} | ${r.silence} ms | ${r.restartedAtMs === null ? "never" : `RESTARTED, ${r.restartedAtMs} ms into the show`} |`);
    } finally {
      wl.stop();
    }
  }
  const zs: number[] = [];
  for (let i = 0; i < Number(values.trials); i++) {
    await until(async () => (await stateOf("zebra")) === "up/ok", "zebra ok", 120_000);
    await Bun.sleep(300 + Math.random() * 1_000);
    const pid = lab.pidOf("zebra");
    const m = mon.events.length;
    const t0 = performance.now();
    process.kill(pid, "SIGSTOP");
    await until(() => mon.events.slice(m).some((e) => e.component === "zebra" && e.event === "recover"), "zebra's recovery", 10_000);
    zs.push(performance.now() - t0);
    await until(() => lab.pidOf("zebra") !== pid, "a new zebra", 60_000);
  }
  console.log(`| SIGSTOP zebra (the same full table) → its recovery decided | p50 ${pct(zs, 0.5).toFixed(0)} ms, p95 ${pct(zs, 0.95).toFixed(0)} ms (target ≤ 2,000 ms: ${pct(zs, 0.95) <= 2_000 ? "met" : "NOT met"}) | watchfrr: never |`);
} finally {
  await lab.stop();
}

/**
 * Runs `show ip route json` --busy times on one zebra, each once it is `ready()`: its vty's longest
 * silence meanwhile (a probe of our own, back to back), and when (ms into a show) its pid changed,
 * watched for `afterMs` more after the last show (a supervisor's decision may come late).
 */
async function busyRuns(z: { vty(ms: number): Promise<string | null>; heavyShow(): Promise<void>; pid(): number }, ready: () => Promise<boolean>, afterMs = 0): Promise<{ silence: number; restartedAtMs: number | null }> {
  let silence = 0;
  let restartedAtMs: number | null = null;
  const pid0 = z.pid();
  let t0 = performance.now();
  for (let i = 0; i < Number(values.busy) && restartedAtMs === null; i++) {
    await until(ready, "zebra answering", 120_000);
    t0 = performance.now();
    let done = false;
    const show = z.heavyShow().then(() => void (done = true));
    const watcher = (async () => {
      while (!done && restartedAtMs === null) {
        if (z.pid() !== pid0) restartedAtMs = Math.round(performance.now() - t0);
        await Bun.sleep(100);
      }
    })();
    while (!done) {
      const t = performance.now();
      await z.vty(600_000);
      silence = Math.max(silence, Math.round(performance.now() - t));
    }
    await show;
    await watcher;
  }
  for (const end = performance.now() + afterMs; restartedAtMs === null && performance.now() < end; await Bun.sleep(100)) if (z.pid() !== pid0) restartedAtMs = Math.round(performance.now() - t0);
  return { silence, restartedAtMs };
}
