/**
 * bench:failover, Pacemaker part — a real one-node cluster
 * (test/helpers/cluster-lab.ts) with an `ocf:pacemaker:Dummy` resource and a
 * simulated fast path (hbsim); each trial stalls a core at a random moment
 * and times until the cluster has stopped the resource on the red node, then
 * resumes and waits for it to run again. Two drivers, same sensor (hamon's
 * watchdog, dead_ms 120):
 *   push  hamon's [pacemaker] adapter: #health-hamon through attrd_updater
 *         with the shipped dampening (5 s), node-health-strategy=migrate-on-red;
 *   poll  what a cluster does without the push: hamon's OCF agent as a
 *         resource with the agent's default monitor operations (10 s at
 *         level 0, 30 s at OCF_CHECK_LEVEL 10, from its meta-data), the
 *         resource colocated with it; a red node fails the level-10 monitor
 *         and the cluster recovers the agent's resource, stopping the
 *         colocated one. This is the realistic alternative: it is how a
 *         HealthCPU-style agent works too (a check on the monitor operation's
 *         interval), with hamon as the check.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { clusterUnavailable, startCluster, type Cluster } from "../test/helpers/cluster-lab.ts";
import { startSim, tmpPath, type Sim } from "../test/helpers/hbsim.ts";
import { startMonitor } from "../test/helpers/monitor-proc.ts";
import { until } from "../test/helpers/wait.ts";
import { pct } from "./bench-lib.ts";

const DUMMY = `<primitive id="dummy1" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="dummy1-monitor-5s" name="monitor" interval="5s" timeout="20s"/></operations></primitive>`;
const AGENT = join(import.meta.dir, "..", "docs", "ocf", "hamon");

/**
 * Stall → dummy1 stopped, `n` times, at a random moment within `phaseMs`
 * (the poll's interval: a fault does not wait for the next monitor run);
 * resume and wait for it to run again between trials, calling `heal` every
 * 5 s meanwhile (the poll driver: clean up the agent's failure, as an
 * operator would, or migration-threshold and start failures pile up).
 */
async function trials(cl: Cluster, sim: Sim, n: number, label: string, phaseMs: number, heal: () => void = () => {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let healed = Date.now();
    await until(() => {
      if (Date.now() - healed > 5_000) {
        heal();
        healed = Date.now();
      }
      return cl.running("dummy1");
    }, "dummy1 running", 180_000, () => cl.run(["crm_mon", "-1", "--failcounts", "--operations"]).out);
    await Bun.sleep(1_000 + Math.random() * phaseMs);
    const t0 = performance.now();
    await sim.send("stall 0");
    await until(() => !cl.running("dummy1"), "dummy1 stopped by the cluster", 120_000, cl.logs);
    out.push(Math.round(performance.now() - t0));
    console.log(`  ${label} trial ${i + 1}: the cluster stopped dummy1 after ${Math.round(performance.now() - t0)} ms`);
    await sim.send("resume 0");
    heal();
  }
  return out;
}

export async function pacemakerFailover(hamon: string[], n: number): Promise<[string, number[]][] | string> {
  const why = clusterUnavailable();
  if (why) return why;
  const hb = tmpPath();
  const sim = await startSim(hb, 2);
  const cl = await startCluster({ options: { "node-health-strategy": "migrate-on-red" }, resources: DUMMY, agents: { hamon: { hamon: AGENT } } });
  const results: [string, number[]][] = [];
  try {
    const fp = ["[[fastpath]]", 'name = "fp0"', `heartbeat = "${hb}"`, "suspect_ms = 40", "dead_ms = 120", "grace_ms = 0", "ladder = []", "flap_restarts = 1000", "backoff_reset_ms = 1"];
    // push: the adapter, shipped dampening.
    const cfg = join(cl.dir, "push.toml");
    writeFileSync(cfg, ["[monitor]", "tick_ms = 5", "[pacemaker]", ...fp].join("\n"));
    const mon = await startMonitor(["--config", cfg, "--log-level", "error"], [...cl.enter, ...hamon]);
    try {
      results.push(["push (attrd_updater, dampening 5 s)", await trials(cl, sim, n, "push", 2_000)]);
    } finally {
      await mon.stop();
      cl.run(["attrd_updater", "--name", "#health-hamon", "--delete"]);
    }
    // poll: the agent's default monitor operations, dummy1 colocated with it.
    cl.run(["crm_attribute", "--type", "crm_config", "--name", "node-health-strategy", "--update", "none"]);
    const pollCfg = join(cl.dir, "poll.toml");
    writeFileSync(pollCfg, ["[monitor]", "tick_ms = 5", ...fp].join("\n"));
    const nv = (k: string, v: string) => `<nvpair id="hamon-${k}" name="${k}" value="${v}"/>`;
    // The agent runs one executable: the compiled binary, or (--source) a wrapper around Bun and the source.
    let bin = hamon[0]!;
    if (hamon.length > 1) {
      bin = join(cl.dir, "hamon-from-source");
      writeFileSync(bin, `#!/bin/sh\nexec ${hamon.map((a) => `'${a}'`).join(" ")} "$@"\n`, { mode: 0o755 });
    }
    cl.run(["cibadmin", "--create", "-o", "resources", "--xml-text", `<primitive id="hamon" class="ocf" provider="hamon" type="hamon">
      <instance_attributes id="hamon-ia">${nv("binary", bin)}${nv("config", pollCfg)}${nv("socket", join(cl.dir, "poll", "hamon.sock"))}${nv("state_dir", join(cl.dir, "poll-state"))}</instance_attributes>
      <operations><op id="hamon-monitor-10s" name="monitor" interval="10s" timeout="20s"/>
        <op id="hamon-monitor-30s" name="monitor" interval="30s" timeout="20s"><instance_attributes id="hamon-m30-ia"><nvpair id="hamon-m30-level" name="OCF_CHECK_LEVEL" value="10"/></instance_attributes></op></operations></primitive>`]);
    cl.run(["cibadmin", "--create", "-o", "constraints", "--xml-text", '<rsc_colocation id="dummy1-with-hamon" rsc="dummy1" with-rsc="hamon" score="INFINITY"/>']);
    cl.run(["cibadmin", "--create", "-o", "constraints", "--xml-text", '<rsc_order id="hamon-then-dummy1" first="hamon" then="dummy1"/>']);
    await until(() => cl.running("hamon"), "the agent's resource running", 60_000, cl.logs);
    results.push(["poll (OCF agent's monitor, level 10 every 30 s)", await trials(cl, sim, n, "poll", 30_000, () => void cl.run(["crm_resource", "--cleanup", "--resource", "hamon"]))]);
  } finally {
    await cl.close();
    await sim.kill();
  }
  return results;
}

export function printPacemaker(results: [string, number[]][], n: number): void {
  console.log(`\nstall → the cluster has stopped the resource on the red node, ${n} trials each (real corosync 3 + Pacemaker 2.1, one node, Dummy resource):`);
  for (const [d, t] of results) console.log(`  ${d.padEnd(48)} p50 ${pct(t, 0.5)} ms   min ${Math.min(...t)} ms   max ${Math.max(...t)} ms`);
}
