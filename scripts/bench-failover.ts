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
 *   npm run bench:failover [-- --trials 10 --source]
 */
import { parseArgs } from "node:util";
import { labUnavailable, startLab, type Driver } from "../test/helpers/vrrp-lab.ts";
import { until } from "../test/helpers/wait.ts";
import { hamonArgv, pct } from "./bench-lib.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "10" }, source: { type: "boolean", default: false } } });
const TRIALS = Number(values.trials);
const why = labUnavailable();
if (why) {
  console.error(`bench:failover cannot run here: ${why}`);
  process.exit(1);
}
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

const results: [Driver, number[]][] = [];
for (const d of ["track_file", "vrrp_script"] as const) results.push([d, await run(d)]);
console.log(`\nstall → VIP answering on the backup, ${TRIALS} trials each (real keepalived ${Bun.spawnSync(["keepalived", "--version"]).stderr.toString().split("\n")[0]?.replace(/^Keepalived /, "")}, advert_int 1, priority 150/100):`);
for (const [d, t] of results) console.log(`  ${d.padEnd(12)} p50 ${pct(t, 0.5)} ms   min ${Math.min(...t)} ms   max ${Math.max(...t)} ms`);
