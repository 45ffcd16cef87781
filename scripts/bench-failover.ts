/**
 * bench:failover — time from a fast-path stall on the VRRP master to the
 * virtual IP answering on the backup, with real keepalived in two network
 * namespaces (test/helpers/vrrp-lab.ts), for two drivers:
 *   track_file   hamon's node_ok file (keepalived reacts through inotify)
 *   vrrp_script  the plain way: keepalived runs `hamon check fp0` every second
 * Same VRRP settings (advert_int 1, priorities 150/100, preempt) and the same
 * sensor (hamon's watchdog, dead_ms 120): the difference is push vs poll.
 * Each trial: stall core 0 on A, wait for B to answer, resume, wait for A to
 * answer again (preempt), settle.
 *
 * Then the same stall against a real Pacemaker cluster
 * (scripts/failover-pacemaker.ts): until the cluster has stopped a resource
 * on the red node, hamon's push (attrd_updater) against the OCF agent's
 * polling monitor operation.
 *
 *   npm run bench:failover [-- --trials 10 --source --engine keepalived|pacemaker|all]
 */
import { parseArgs } from "node:util";
import { labUnavailable, startLab, type Driver } from "../test/helpers/vrrp-lab.ts";
import { until } from "../test/helpers/wait.ts";
import { hamonArgv, pct } from "./bench-lib.ts";
import { pacemakerFailover, printPacemaker } from "./failover-pacemaker.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "10" }, source: { type: "boolean", default: false }, engine: { type: "string", default: "all" } } });
const TRIALS = Number(values.trials);
const hamon = hamonArgv(values.source);

async function run(driver: Driver): Promise<number[]> {
  const lab = await startLab({ driver, preempt: true, hamon });
  const times: number[] = [];
  try {
    await until(() => lab.holder() === "A", "A master", 20_000);
    await lab.waitAnswer("A", Date.now());
    for (let i = 0; i < TRIALS; i++) {
      // A random phase against keepalived's 1 s script interval and VRRP adverts.
      await Bun.sleep(500 + Math.random() * 1_000);
      const t0 = Date.now();
      await lab.a.sim.send("stall 0");
      const moved = await lab.waitAnswer("B", t0, 20_000);
      times.push(moved - t0);
      console.log(`  ${driver} trial ${i + 1}: VIP answered on B after ${moved - t0} ms`);
      const t1 = Date.now();
      await lab.a.sim.send("resume 0");
      await lab.waitAnswer("A", t1, 30_000);
    }
  } finally {
    await lab.stop();
  }
  return times;
}

let failed = false;
if (values.engine !== "pacemaker") {
  const why = labUnavailable();
  if (why) {
    console.error(`bench:failover (keepalived) cannot run here: ${why}`);
    failed = true;
  } else {
    const results: [Driver, number[]][] = [];
    for (const d of ["track_file", "vrrp_script"] as const) results.push([d, await run(d)]);
    console.log(`\nstall → VIP answering on the backup, ${TRIALS} trials each (real keepalived ${Bun.spawnSync(["keepalived", "--version"]).stderr.toString().split("\n")[0]?.replace(/^Keepalived /, "")}, advert_int 1, priority 150/100):`);
    for (const [d, t] of results) console.log(`  ${d.padEnd(12)} p50 ${pct(t, 0.5)} ms   min ${Math.min(...t)} ms   max ${Math.max(...t)} ms`);
  }
}
if (values.engine !== "keepalived") {
  const r = await pacemakerFailover(hamon, TRIALS);
  if (typeof r === "string") {
    console.error(`bench:failover (pacemaker) cannot run here: ${r}`);
    failed = true;
  } else printPacemaker(r, TRIALS);
}
process.exit(failed ? 1 : 0);
