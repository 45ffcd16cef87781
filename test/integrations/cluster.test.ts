/**
 * hamon and a real Pacemaker cluster (corosync 3 + pacemaker 2.1, one node,
 * private state: test/helpers/cluster-lab.ts). The monitor runs inside the
 * cluster's namespaces and calls the real attrd_updater:
 * - a stalled fast-path core → #health-hamon red → the cluster stops a
 *   resource under migrate-on-red; resumed → green → it starts again;
 * - a red shorter than the dampening never reaches the CIB;
 * - `value = "score"`: yellow reaches the cluster as -penalty, added to
 *   node-health-base under the progressive strategy (crm_simulate's score);
 * - a pending reboot-system with `on_reboot = "standby"`: the node is put in
 *   standby and the cluster has stopped its resources before the hook runs;
 *   `on_reboot = "terminate"`: terminate=true reaches the CIB;
 * - the OCF agent (docs/ocf/hamon) as a cluster resource: Pacemaker starts
 *   it, monitors it at OCF_CHECK_LEVEL 0 and 10, and recovers it after kill -9;
 *   meta-data and validate-all answer where the hamon binary is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, buildBinary } from "../helpers/binary.ts";
import { clusterUnavailable, NODE, startCluster, type Cluster } from "../helpers/cluster-lab.ts";
import { startSim, tmpPath, type Sim } from "../helpers/hbsim.ts";
import { startWatched, type Watched } from "../helpers/watched.ts";
import { until } from "../helpers/wait.ts";
import { lockState } from "../../src/discovery/ping.ts";

const AGENT = join(import.meta.dir, "..", "..", "docs", "ocf", "hamon");
const why = clusterUnavailable();
// .ci/run installs corosync and pacemaker: in CI a skip would hide a broken install, so it fails instead.
if (why && process.env.CI) throw new Error(`Pacemaker tests cannot run in CI: ${why}`);
if (why) console.warn(`SKIPPED Pacemaker cluster tests: ${why}`);

const DUMMY = `<primitive id="dummy1" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="dummy1-monitor-5s" name="monitor" interval="5s" timeout="20s"/></operations></primitive>`;

describe.skipIf(why !== null)("a real Pacemaker cluster acts on hamon's verdict", () => {
  let cl: Cluster;
  let sim: Sim;
  let hb: string;
  const dir = mkdtempSync(join(tmpdir(), "hamon-cl-test-"));

  beforeAll(async () => {
    await buildBinary();
    cl = await startCluster({ options: { "node-health-strategy": "migrate-on-red" }, resources: DUMMY, agents: { hamon: { hamon: AGENT } } });
    await until(() => cl.running("dummy1"), "dummy1 started", 30_000, cl.logs);
    hb = tmpPath();
    sim = await startSim(hb, 2);
  }, 120_000);

  afterAll(async () => {
    await sim?.kill();
    await cl?.close();
  }, 120_000);

  /** A monitor inside the cluster's namespaces (the compiled binary), watching the simulated fast path. */
  const monitor = (extra: string[], fp: string[] = []): Promise<Watched> => startWatched([
    "[monitor]", "tick_ms = 5",
    ...extra,
    "[[fastpath]]", 'name = "fp0"', `heartbeat = "${hb}"`, "suspect_ms = 40", "dead_ms = 120", "grace_ms = 0", "flap_restarts = 1000", ...fp,
  ].join("\n"), undefined, undefined, undefined, [...cl.enter, BIN]);
  /** The attribute's value in the CIB (what the scheduler sees), not attrd's pending one. */
  const inCib = (name: string) => {
    const r = cl.run(["crm_attribute", "--node", NODE, "--name", name, "--lifetime", "reboot", "--query", "--quiet"]);
    return r.code === 0 ? r.out.trim() : null;
  };

  test("#health-hamon through the real attrd_updater: red → the cluster stops dummy1 (migrate-on-red); green → it starts again; a red shorter than the dampening never reaches the CIB", async () => {
    const w = await monitor(["[pacemaker]", "dampening_s = 2"]);
    try {
      await until(() => inCib("#health-hamon") === "green", "green in the CIB", 15_000, () => `${w.stderr().slice(-1500)}\n${cl.logs()}`);
      let mark = w.events.length;
      expect(await sim.send("stall 0")).toMatch(/^ok/);
      await w.waitEvent((e) => e.event === "node-red", "node-red", mark);
      const red = performance.now();
      await until(() => !cl.running("dummy1"), "dummy1 stopped by the cluster", 20_000, cl.logs);
      expect(performance.now() - red).toBeGreaterThanOrEqual(1_500); // not before the 2 s dampening
      expect(inCib("#health-hamon")).toBe("red");
      mark = w.events.length;
      expect(await sim.send("resume 0")).toMatch(/^ok/);
      await w.waitEvent((e) => e.event === "node-green", "node-green", mark);
      await until(() => cl.running("dummy1"), "dummy1 started again", 20_000, cl.logs);
      expect(inCib("#health-hamon")).toBe("green");

      // A short red: stalled, red, resumed at once: attrd's dampening swallows it.
      mark = w.events.length;
      expect(await sim.send("stall 0")).toMatch(/^ok/);
      await w.waitEvent((e) => e.event === "node-red", "short node-red", mark);
      expect(await sim.send("resume 0")).toMatch(/^ok/);
      await w.waitEvent((e) => e.event === "node-green", "green again", mark);
      const seen = new Set<string | null>();
      for (const end = performance.now() + 4_000; performance.now() < end; await Bun.sleep(100)) {
        seen.add(inCib("#health-hamon"));
        expect(cl.running("dummy1")).toBe(true);
      }
      expect([...seen]).toEqual(["green"]);
    } finally {
      await w.close();
    }
  }, 90_000);

  test('value = "score": yellow reaches the cluster as -penalty, added to node-health-base (progressive)', async () => {
    cl.run(["crm_attribute", "--type", "crm_config", "--name", "node-health-strategy", "--update", "progressive"]);
    cl.run(["crm_attribute", "--type", "crm_config", "--name", "node-health-base", "--update", "100"]);
    // Two declared components that never come: each absent one weighs degraded_penalty (10).
    const w = await monitor(["[pacemaker]", "dampening_s = 0", 'value = "score"', "[[component]]", 'name = "ospfd"', "[[component]]", 'name = "bgpd"']);
    const score = () => /dummy1 allocation score on node1: (-?\d+|-?INFINITY)/.exec(cl.run(["crm_simulate", "-sL"]).out)?.[1];
    try {
      await until(() => inCib("#health-hamon") === "-20", "-20 in the CIB", 20_000, () => `${inCib("#health-hamon")} ${w.stderr().slice(-1500)}`);
      await until(() => score() === "80", "allocation score 100 - 20", 10_000, () => String(score()));
      expect(cl.running("dummy1")).toBe(true); // weaker, still positive: it runs, and a healthier node would win
    } finally {
      await w.close();
      cl.run(["crm_attribute", "--type", "crm_config", "--name", "node-health-base", "--delete"]);
      cl.run(["crm_attribute", "--type", "crm_config", "--name", "node-health-strategy", "--update", "migrate-on-red"]);
      cl.run(["attrd_updater", "--name", "#health-hamon", "--update=green"]);
    }
  }, 60_000);

  test('on_reboot = "standby": the cluster has stopped dummy1 before the reboot hook runs; "terminate": terminate=true in the CIB', async () => {
    const hook = join(dir, "reboot.sh");
    const seen = join(dir, "hook-saw");
    // The "reboot": records what the cluster had done by then (it runs in the cluster's namespaces, like the monitor).
    writeFileSync(hook, `#!/bin/sh\ncrm_resource --locate --resource dummy1 > ${seen} 2>&1\n`);
    chmodSync(hook, 0o755);
    const reboot = ["[levels]", `reboot-system = ["${hook}"]`];
    const fp = ['base_level = "reboot-system"', 'max_recommend = "reboot-system"', "ladder = []"];
    await until(() => cl.running("dummy1"), "dummy1 running", 20_000);
    let w = await monitor(["[pacemaker]", "dampening_s = 30", 'on_reboot = "standby"', "standby_timeout_s = 30", ...reboot], fp);
    try {
      const mark = w.events.length;
      expect(await sim.send("stall 0")).toMatch(/^ok/);
      await w.waitEvent((e) => e.event === "recover" && e.level === "reboot-system", "reboot-system", mark);
      const sb = await w.waitEvent((e) => e.event === "cluster-standby", "cluster-standby", mark, 40_000);
      expect(sb.reason).toContain("the cluster settled");
      await w.waitEvent((e) => e.event === "hook-done", "the hook ran", mark, 20_000);
      expect(w.events.findIndex((e) => e.event === "cluster-standby")).toBeLessThan(w.events.findIndex((e) => e.event === "hook-done"));
      expect(readFileSync(seen, "utf8")).toContain("NOT running"); // moved away (stopped: one node) before the reboot
      expect(cl.run(["crm_mon", "-1"]).out).toMatch(/Node node1: standby/);
    } finally {
      await sim.send("resume 0");
      await w.close();
      cl.run(["attrd_updater", "--name", "standby", "--delete"]);
      cl.run(["attrd_updater", "--name", "#health-hamon", "--update=green"]);
    }
    await until(() => cl.running("dummy1"), "dummy1 back after the standby is cleared", 30_000, cl.logs);

    w = await monitor(["[pacemaker]", "dampening_s = 30", 'on_reboot = "terminate"', ...reboot], fp);
    try {
      const mark = w.events.length;
      expect(await sim.send("stall 0")).toMatch(/^ok/);
      await w.waitEvent((e) => e.event === "cluster-terminate", "cluster-terminate", mark, 20_000);
      await w.waitEvent((e) => e.event === "hook-done", "the hook ran after it", mark, 20_000);
      await until(() => inCib("terminate") === "true", "terminate=true in the CIB", 10_000);
    } finally {
      await sim.send("resume 0");
      await w.close();
      cl.run(["attrd_updater", "--name", "terminate", "--delete"]);
      cl.run(["attrd_updater", "--name", "#health-hamon", "--update=green"]);
    }
  }, 120_000);

  test("the OCF agent run by Pacemaker: started, monitored at OCF_CHECK_LEVEL 0 (0) and 10 (190: degraded, left running), recovered after kill -9", async () => {
    const cfg = join(dir, "ocf.toml");
    // ospfd is declared and never comes: the node is yellow, which level 10 reports as 190 (degraded) and level 0 does not.
    writeFileSync(cfg, '[monitor]\ntick_ms = 10\n[[component]]\nname = "ospfd"\n');
    const sock = join(dir, "ocf-run", "hamon.sock");
    const param = (n: string, v: string) => `<nvpair id="hamon-${n}" name="${n}" value="${v}"/>`;
    const xml = `<primitive id="hamon" class="ocf" provider="hamon" type="hamon">
      <instance_attributes id="hamon-ia">${param("binary", BIN)}${param("config", cfg)}${param("socket", sock)}${param("state_dir", join(dir, "ocf-state"))}</instance_attributes>
      <operations>
        <op id="hamon-monitor-2s" name="monitor" interval="2s" timeout="20s"/>
        <op id="hamon-monitor-3s" name="monitor" interval="3s" timeout="20s"><instance_attributes id="hamon-monitor-3s-ia"><nvpair id="hamon-monitor-3s-level" name="OCF_CHECK_LEVEL" value="10"/></instance_attributes></op>
      </operations>
    </primitive>`;
    // Pacemaker reads the agent's meta-data when the resource is defined.
    const md = cl.run(["crm_resource", "--show-metadata", "ocf:hamon:hamon"]);
    expect(md.code).toBe(0);
    expect(md.out).toContain('<resource-agent name="hamon"');
    expect(cl.run(["cibadmin", "--create", "-o", "resources", "--xml-text", xml]).code).toBe(0);
    try {
      await until(() => cl.running("hamon") && lockState(sock).locked, "hamon started by the cluster", 30_000, cl.logs);
      const pid1 = lockState(sock).holder!.pid;
      // Both monitor operations ran and passed (level 0: answering; level 10: the node verdict, green here).
      // The operation history in the CIB: a recurring op's record, and the last non-zero result of any op.
      const op = (id: string) => {
        const r = cl.run(["cibadmin", "--query", "--xpath", `//lrm_rsc_op[@id='${id}']`]);
        return r.code === 0 ? `${/interval="(\d+)"/.exec(r.out)?.[1]}:${/rc-code="(\d+)"/.exec(r.out)?.[1]}` : null;
      };
      await until(() => op("hamon_monitor_2000") === "2000:0" && op("hamon_last_failure_0") === "3000:190", "the monitor operations recorded: 2 s (level 0) rc 0, 3 s (OCF_CHECK_LEVEL 10) rc 190 (degraded)", 20_000, () => cl.run(["cibadmin", "--query", "-o", "status"]).out.slice(-3000));
      expect(lockState(sock).holder!.pid).toBe(pid1); // degraded is not failed: the cluster left it running
      expect(cl.run(["crm_mon", "-1"]).out).toContain("DEGRADED");
      process.kill(pid1, "SIGKILL");
      await until(() => { const h = lockState(sock).holder; return !!h && h.pid !== pid1; }, "recovered by the cluster (a new monitor)", 30_000, cl.logs);
      const fail = cl.run(["crm_failcount", "--query", "--resource", "hamon", "--node", NODE]).out;
      expect(fail).toMatch(/value=[1-9]/); // the cluster saw the failure and counted it
      expect(cl.running("hamon")).toBe(true);
    } finally {
      cl.run(["crm_resource", "--resource", "hamon", "--set-parameter", "target-role", "--meta", "--parameter-value", "Stopped"]);
      await until(() => !lockState(sock).locked, "stopped by the cluster", 30_000, cl.logs);
      cl.run(["cibadmin", "--delete", "-o", "resources", "--xml-text", '<primitive id="hamon"/>']);
    }
  }, 120_000);
});

test("the shipped agent answers meta-data (as `hamon ocf meta-data` does) and validate-all where the hamon binary is not installed", async () => {
  await buildBinary();
  const env = { PATH: process.env.PATH ?? "", OCF_ROOT: "/usr/lib/ocf", OCF_RESKEY_binary: "/nonexistent/hamon" };
  const md = Bun.spawnSync([AGENT, "meta-data"], { env, stdout: "pipe", stderr: "pipe" });
  expect(md.exitCode).toBe(0);
  const own = Bun.spawnSync([BIN, "ocf", "meta-data"], { stdout: "pipe" }).stdout.toString();
  // The version attribute differs only when the agent predates the binary; everything else is one text.
  const norm = (s: string) => s.replace(/(<resource-agent name="hamon" version=")[^"]*"/, '$1"');
  expect(norm(md.stdout.toString())).toBe(norm(own));
  const v = Bun.spawnSync([AGENT, "validate-all"], { env });
  expect(v.exitCode).toBe(5); // OCF_ERR_INSTALLED
  expect(existsSync("/nonexistent")).toBe(false);
});
