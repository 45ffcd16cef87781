/**
 * A real DPDK fast path (examples/dpdk-fwd/fwd.c on Debian's DPDK 22.11,
 * net_null vdevs, no hugepages, no NIC) whose forwarding lcore beats through
 * hamon_heartbeat.h, watched by a real monitor: cores ok while forwarding; a
 * lcore backing off with a promise (IDLE) or parked → no alarm; a
 * stalled lcore → core-suspect, core-dead → cores-ok when it beats again,
 * with rte_keepalive (in the same binary) declaring the same core dead; a
 * clean stop → EXITED and the tombstone, no alarm; kill -9 → writer-gone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWatched, until, type Watched } from "../helpers/watched.ts";
import { collectLines } from "../helpers/lines.ts";
import { DatagramSender } from "../helpers/datagram.ts";

const ROOT = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "hamon-dpdk-"));
const FWD = join(dir, "hamon-dpdk-fwd");

function unavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root";
  if (Bun.spawnSync(["pkg-config", "--exists", "libdpdk"]).exitCode !== 0) return "DPDK is not installed (Debian packages dpdk, libdpdk-dev, dpdk-dev; .ci/run installs them)";
  return null;
}
const why = unavailable();
// .ci/run installs DPDK: in CI a skip would hide a broken install, so it fails instead.
if (why && process.env.CI) throw new Error(`DPDK tests cannot run in CI: ${why}`);
if (why) console.warn(`SKIPPED DPDK tests: ${why}`);

interface Fwd {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  out: string[];
  hb: string;
  ctl: string;
  send(cmd: string): void;
}

const running: Fwd[] = [];
const sender = new DatagramSender();
afterAll(() => sender.close());
let mon: Watched | null = null;
afterEach(async () => {
  for (const f of running.splice(0)) {
    f.proc.kill("SIGKILL");
    await f.proc.exited;
  }
  await mon?.close();
  mon = null;
});

function startFwd(tag: string): Fwd {
  const hb = join(dir, `${tag}.hb`);
  const ctl = join(dir, `${tag}.ctl`);
  const proc = Bun.spawn([FWD, "--no-huge", "-m", "256", "--no-pci", "--vdev", "net_null0", "--vdev", "net_null1", "-l", "0-1", "--file-prefix", `hamon-${process.pid}-${tag}`, "--", "--hb", hb, "--ctl", ctl], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = collectLines(proc.stdout);
  const f: Fwd = {
    proc, out, hb, ctl,
    send: (cmd) => sender.send(ctl, cmd),
  };
  running.push(f);
  return f;
}

describe.skipIf(why !== null)("a real DPDK fast path (examples/dpdk-fwd) watched by hamon", () => {
  beforeAll(() => {
    const flags = Bun.spawnSync(["pkg-config", "--cflags", "--libs", "libdpdk"]).stdout.toString().trim().split(/\s+/);
    const cc = Bun.spawnSync(["cc", "-O2", "-Wall", "-Wextra", "-Werror", `-I${join(ROOT, "src", "c")}`, join(ROOT, "examples", "dpdk-fwd", "fwd.c"), ...flags, "-o", FWD], { stderr: "pipe" });
    if (cc.exitCode !== 0) throw new Error(cc.stderr.toString());
  }, 60_000);

  test("forwarding: cores ok; backing off with a promise (IDLE) or PARKED longer than dead_ms → no alarm; a stalled lcore → core-suspect, core-dead (rte_keepalive agrees) → cores-ok; a clean stop → EXITED, no alarm", async () => {
    const f = startFwd("a");
    await until(() => f.out.some((l) => l.startsWith("rate ")), "forwarding", 30_000, () => `${f.out.join("\n")}`);
    expect(Number(f.out.find((l) => l.startsWith("rate "))!.split(" ")[1])).toBeGreaterThan(1); // Mpps on net_null
    mon = await startWatched(`[[fastpath]]\nname = "dataplane"\nheartbeat = "${f.hb}"\n`);
    const w = mon;
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.verdict === "ok"; }, "core ok", 10_000, () => w.stderr());
    let mark = w.events.length;
    // Backing off with a promise (IDLE, 600 ms): silent for longer than dead_ms (250), and no alarm.
    f.send("idle 0 600");
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.state === "idle"; }, "IDLE", 5_000);
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.state === "running"; }, "running again", 5_000);
    expect(w.events.slice(mark).filter((e) => e.event === "core-suspect" || e.event === "core-dead")).toEqual([]);
    // Parked (out of service, no promise) for four times dead_ms: no alarm either; running again after.
    f.send("park 0");
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.state === "parked"; }, "PARKED", 5_000);
    await Bun.sleep(1_000);
    f.send("unpark 0");
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.state === "running" && r.components[0]?.cores?.[0]?.verdict === "ok"; }, "running after parked", 5_000);
    expect(w.events.slice(mark).filter((e) => e.event === "core-suspect" || e.event === "core-dead")).toEqual([]);
    mark = w.events.length;
    f.send("stall 0 1500");
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-suspect", "suspect", mark);
    const dead = await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-dead", "dead", mark);
    expect(dead.reason).toContain("core slot 0 (fwd0, lcore 1): no beat for"); // the writer's own name and lcore
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "cores-ok", "cores ok again", mark);
    expect(f.out.some((l) => l.startsWith("ka-dead 1 "))).toBe(true); // DPDK's own watchdog saw it too
    mark = w.events.length;
    f.send("quit");
    expect(await f.proc.exited).toBe(0);
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.state === "exited"; }, "EXITED", 10_000);
    await Bun.sleep(500);
    expect(w.events.slice(mark).filter((e) => e.event === "core-dead" || e.event === "core-writer-gone")).toEqual([]);
    expect(existsSync(f.ctl)).toBe(false);
  }, 90_000);

  test("owned ([[fastpath]] start): hamon starts it; a stalled lcore → core-dead → restart-control-plane-and-fast-path restarts it → the new region is attached, cores ok; kill -9 → restarted too", async () => {
    const hb = join(dir, "owned.hb");
    const argv = [FWD, "--no-huge", "-m", "256", "--no-pci", "--vdev", "net_null0", "--vdev", "net_null1", "-l", "0-1", "--file-prefix", `hamon-${process.pid}-owned`, "--", "--hb", hb, "--ctl", join(dir, "owned.ctl")];
    // A control-plane daemon beside it, slow to stop (it ignores SIGTERM: killed after stop_timeout_ms):
    // on exit (stop_on_exit) it is still stopped first, the fast path last.
    mon = await startWatched(`[monitor]\nstop_on_exit = true\nstop_timeout_ms = 3000\n[defaults]\ngrace_ms = 0\n[[component]]\nname = "routing"\nstart = ["/bin/sh", "-c", "trap \\"\\" TERM; while :; do sleep 1; done"]\n[[fastpath]]\nname = "dataplane"\nheartbeat = "${hb}"\nstart = ${JSON.stringify(argv)}\n`);
    const w = mon;
    const coreOk = async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.verdict === "ok"; };
    const pidNow = async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" ? r.components[0]!.pid : 0; };
    await until(coreOk, "started by hamon, core ok", 30_000, () => w.stderr());
    const pid1 = await pidNow();
    expect(pid1).toBeGreaterThan(0);
    let mark = w.events.length;
    sender.send(join(dir, "owned.ctl"), "stall 0 5000");
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-dead", "dead", mark);
    const rec = await w.waitEvent((e) => e.component === "dataplane" && e.event === "recover", "recover", mark);
    expect(rec.level).toBe("restart-control-plane-and-fast-path");
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "stopped", "the stalled instance stopped", mark, 20_000);
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "started", "started again", mark, 20_000);
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "attached", "its new region attached", mark, 20_000);
    await until(async () => (await pidNow()) !== pid1 && (await coreOk()), "the new instance's core ok", 30_000, () => w.stderr().slice(-3000));
    await w.waitEvent((e) => e.component === "routing" && e.event === "started", "the control plane restarted too (SIGKILLed after stop_timeout_ms)", mark, 20_000);
    console.log(w.events.slice(mark).filter((e) => e.component === "dataplane").map((e) => `${e.event}(${e.level}${e.reason ? `: ${e.reason.slice(0, 60)}` : ""})`).join(" → "));
    const pid2 = await pidNow();
    mark = w.events.length;
    process.kill(pid2, "SIGKILL");
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "started", "started after kill -9", mark, 20_000);
    await until(async () => (await pidNow()) !== pid2 && (await coreOk()), "ok again", 30_000, () => w.stderr().slice(-3000));
    mon = null;
    expect(await w.close()).toBe(0);
    const stops = readFileSync(join(w.stateDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.event === "stopped" && String(e.reason).includes("monitor exiting"));
    expect(stops.map((e) => e.component)).toEqual(["routing", "dataplane"]); // the fast path stopped last
  }, 120_000);

  test("kill -9 of the DPDK process → core-writer-gone", async () => {
    const f = startFwd("b");
    await until(() => f.out.some((l) => l.startsWith("rate ")), "forwarding", 30_000, () => f.out.join("\n"));
    mon = await startWatched(`[[fastpath]]\nname = "dataplane"\nheartbeat = "${f.hb}"\n`);
    const w = mon;
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.verdict === "ok"; }, "core ok", 10_000);
    const mark = w.events.length;
    f.proc.kill("SIGKILL");
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-writer-gone", "writer gone", mark);
  }, 60_000);

  test("pace: a heavier load (fuller polls, fewer loops) is not slow; the lcore sharing its CPU with two busy processes (taskset) is slow, steady again when they leave; IDLE with a promise is not slow", async () => {
    const f = startFwd("pace");
    await until(() => f.out.some((l) => l.startsWith("rate ")), "forwarding", 30_000, () => f.out.join("\n"));
    f.send("offer 0 2"); // a light load: 2 Mpps offered, most polls nearly empty
    mon = await startWatched(`[[fastpath]]\nname = "dataplane"\nheartbeat = "${f.hb}"\n`);
    const w = mon;
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.cores?.[0]?.verdict === "ok"; }, "core ok", 10_000);
    await Bun.sleep(7_000); // its baseline: five windows of a second
    // The full load: packets without end (net_null), every poll full: a thirtieth of the loops, thirty times the packets.
    let mark = w.events.length;
    f.send("offer 0 0");
    await Bun.sleep(6_000);
    expect(w.events.slice(mark).filter((e) => e.event === "core-slow")).toEqual([]);
    // Two busy processes on the lcore's CPU (lcore 1 runs on CPU 1): it gets a third of it.
    mark = w.events.length;
    const hogs = [0, 1].map(() => Bun.spawn(["taskset", "-c", "1", "/bin/sh", "-c", "while :; do :; done"]));
    try {
      const slow = await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-slow", "slow", mark, 20_000);
      expect(slow.reason).toMatch(/^core slot 0 \(fwd0, lcore 1\): loop rate .*\/s, \d+ % of its usual .*\/s, with no more work/);
      const r = await w.cmd("show", "dataplane");
      expect(r.type === "result" && [r.components[0]?.health, r.components[0]?.cores?.[0]?.verdict]).toEqual(["degraded", "slow"]);
      expect(w.events.slice(mark).filter((e) => e.event === "core-suspect" || e.event === "core-dead" || e.event === "recover")).toEqual([]);
    } finally {
      for (const h of hogs) h.kill("SIGKILL");
    }
    await w.waitEvent((e) => e.component === "dataplane" && e.event === "core-steady", "steady again", mark, 10_000);
    await until(async () => { const r = await w.cmd("show", "dataplane"); return r.type === "result" && r.components[0]?.health === "ok"; }, "healthy again", 5_000);
    // IDLE with a promise for 3 s: silent, and its pace is not judged.
    mark = w.events.length;
    f.send("idle 0 3000");
    await Bun.sleep(4_000);
    expect(w.events.slice(mark).filter((e) => e.event === "core-slow" || e.event === "core-dead")).toEqual([]);
  }, 90_000);
});
