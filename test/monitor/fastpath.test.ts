/**
 * A fast path as a monitored component: a C writer (scripts/hbsim.c, compiled
 * by the test) publishes a heartbeat region declared as [[fastpath]]; the
 * monitor attaches, shows each core in `status NAME`, and turns a stalled
 * core or a killed writer into a decision at the fast-path level.
 */
import { afterEach, expect, test } from "bun:test";
import { MAIN } from "../helpers/monitor-proc.ts";
import { startSim, tmpPath, type Sim } from "../helpers/hbsim.ts";
import { startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const sims: Sim[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.kill().catch(() => {});
  for (const w of running.splice(0)) await w.close();
});

test("attach, cores in status, a dead core → restart-control-plane-and-fast-path, then the writer killed", async () => {
  const hb = tmpPath();
  const sim = await startSim(hb, 4);
  sims.push(sim);
  const w = await startWatched(`[monitor]\ntick_ms = 5\n[[fastpath]]\nname = "dataplane"\nheartbeat = "${hb}"\nsuspect_ms = 40\ndead_ms = 120\ngrace_ms = 0\n`);
  running.push(w);
  // Attached at start-up, before our subscriber connected: watch the state, not the event.
  await until(async () => (await stateOf(w, "dataplane")) === "up/ok", "dataplane attached");

  const show = await w.cmd("show", "dataplane");
  expect(show.type === "result" && show.components[0]!.cores!.map((c) => c.verdict)).toEqual(["ok", "ok", "ok", "ok"]);
  const cli = Bun.spawnSync([process.execPath, MAIN, "status", "dataplane", "--table", "--socket", w.sock]);
  expect(cli.stdout.toString()).toMatch(/dataplane: 4 cores\nSLOT\s+LCORE\s+NAME\s+STATE\s+VERDICT\s+BEAT-AGE\n0\s+/);

  const mark = w.events.length;
  await sim.send("stall 2");
  await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-suspect", "suspect first", mark);
  const dead = await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-dead", "core dead", mark);
  expect(dead.reason).toContain("core slot 2");
  const rec = await w.waitEvent((e) => e.component === "dataplane" && e.event === "recover", "decision", mark);
  expect(rec.level).toBe("restart-control-plane-and-fast-path");
  await sim.send("resume 2");
  await w.waitEvent((e) => e.component === "dataplane" && e.event === "cores-ok", "cores ok again", mark);

  const m2 = w.events.length;
  await sim.kill("SIGKILL");
  const gone = await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-writer-gone", "writer gone", m2);
  expect(gone.reason).toContain(`writer pid ${sim.pid} is gone`);
  await w.waitEvent((e) => e.component === "dataplane" && e.event === "recover", "decision after writer death", m2);
  expect(await stateOf(w, "dataplane")).toBe("down/failed");
}, 30_000);

test("restart-control-plane-and-fast-path with an owned control plane and a fast path nothing can restart: the daemons restart, a no-action event names the fast path, the node stays red until the cores beat", async () => {
  const { demoArgv } = await import("../helpers/watched.ts");
  const hb = tmpPath();
  const sim = await startSim(hb, 2);
  sims.push(sim);
  const w = await startWatched(`[[component]]\nname = "bgpd"\nstart = ${demoArgv("bgpd")}\n[[fastpath]]\nname = "dataplane"\nheartbeat = "${hb}"\nsuspect_ms = 40\ndead_ms = 120\ngrace_ms = 0\n`);
  running.push(w);
  await until(async () => (await stateOf(w, "dataplane")) === "up/ok" && (await stateOf(w, "bgpd")) === "up/ok", "both up", 15_000);
  const mark = w.events.length;
  await sim.send("stall 1");
  await w.waitEvent((e) => e.component === "bgpd" && e.event === "started", "bgpd restarted by the recovery", mark);
  const na = await w.waitEvent((e) => e.component === "dataplane" && e.event === "no-action", "no-action for the fast path", mark);
  expect(na.level).toBe("restart-control-plane-and-fast-path");
  expect(na.reason).toContain("fast path 'dataplane' was not");
  const st = await w.cmd("status");
  expect(st.type === "result" && st.monitor?.node?.health).toBe("red");
  await sim.send("resume 1");
  await w.waitEvent((e) => e.event === "node-green" || e.event === "node-yellow", "node no longer red once the cores beat", mark);
}, 40_000);
