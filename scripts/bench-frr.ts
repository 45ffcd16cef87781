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
 * watchfrr is not run beside it yet (issue 31 note): by its defaults it
 * restarts a daemon silent for 90 s, and never cures a stopped one.
 * Options: --trials N (10)  --routes N (200000)  --busy N (3)  --source (run from source, not the compiled binary)
 */
import { parseArgs } from "node:util";
import { frrUnavailable, newFrrLab, FRR_DAEMONS } from "../test/helpers/frr-lab.ts";
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
  const silent: number[] = [];
  const mark = mon.events.length;
  for (let i = 0; i < Number(values.busy); i++) {
    await until(async () => (await stateOf("zebra")) === "up/ok", "zebra ok", 60_000);
    const t0 = performance.now();
    const show = lab.heavyShow();
    // Its vty silent from the moment the show begins until it is done: measured with a probe of our own.
    let longest = 0;
    for (let t = performance.now(); ; t = performance.now()) {
      await lab.vty("zebra", 600_000);
      longest = Math.max(longest, performance.now() - t);
      if (await Promise.race([show.then(() => true), Bun.sleep(0).then(() => false)])) break;
    }
    await show;
    silent.push(Math.round(longest));
    console.log(`busy zebra ${i + 1}: show ip route json over ${values.routes} routes took ${Math.round(performance.now() - t0)} ms; its vty's longest silence ${Math.round(longest)} ms`);
  }
  const ev = mon.events.slice(mark).filter((e) => e.component === "zebra");
  const restarted = lab.pidOf("zebra") !== zpid || ev.some((e) => e.event === "recover");
  console.log(`| busy zebra (${values.routes} routes, show ip route json ×${values.busy}) | hamon: ${restarted ? "RESTARTED zebra" : "never restarted zebra"}; busy said ${ev.filter((e) => e.event === "busy").length} time(s); longest silence ${Math.max(...silent)} ms | watchfrr (defaults, not run here): restarts at 90 s of silence |`);
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
