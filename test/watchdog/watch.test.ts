/**
 * The watch against a real C writer (scripts/hbsim.c compiled by the test):
 * stalls, idles, parks, corruption, writer death and restart, truncation and
 * deletion under the mapping. No timed assertions: we wait for the verdicts.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { truncateSync, unlinkSync, statSync } from "node:fs";
import { HeartbeatWatch, type WatchEvent } from "../../src/watchdog/watch.ts";
import { startSim, tmpPath } from "../helpers/hbsim.ts";
import { until as waitUntil } from "../helpers/wait.ts";

const POLICY = { suspectMs: 40, deadMs: 120, idleSlackMs: 40, pollMs: 5, slowEvery: 4 };
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function watched(cores: number, opts: { plain?: boolean } = {}) {
  const path = tmpPath();
  const sim = await startSim(path, cores, { paceUs: 200, ...opts });
  cleanup.push(() => sim.kill());
  const events: WatchEvent[] = [];
  const w = new HeartbeatWatch(path, POLICY, (e) => events.push(e));
  const timer = setInterval(() => w.poll(performance.now()), POLICY.pollMs);
  cleanup.push(() => { clearInterval(timer); w.close(); });
  const seen = (slot: number, verdict: string, after = 0) => events.slice(after).some((e) => e.slot === slot && e.verdict === verdict);
  const until = (cond: () => boolean, what: string, ms = 5000) => waitUntil(cond, what, ms, () => `events: ${JSON.stringify(events.slice(-10))}`);
  await until(() => seen(-1, "attached") && events.filter((e) => e.verdict === "ok").length >= cores, "attach");
  return { path, sim, w, events, seen, until };
}

describe("against the C writer", () => {
  test("a stalled core goes suspect then dead; the others stay ok; it recovers when it beats again", async () => {
    const { sim, events, seen, until } = await watched(4);
    const mark = events.length;
    expect(await sim.send("stall 2")).toBe("ok");
    await until(() => seen(2, "dead", mark), "core 2 dead");
    expect(seen(2, "suspect", mark)).toBe(true);
    // (not "no event at all": a starved test machine may briefly make a healthy core suspect)
    expect(events.slice(mark).filter((e) => e.slot !== 2 && e.verdict === "dead")).toEqual([]);
    await sim.send("resume 2");
    await until(() => seen(2, "ok", mark), "core 2 ok again");
  });

  test("IDLE within its promise never alarms; beyond it, dead", async () => {
    const { sim, events, seen, until } = await watched(2);
    let mark = events.length;
    await sim.send("idle 0 300 150");
    await Bun.sleep(400);
    expect(events.slice(mark).filter((e) => e.slot === 0 && e.verdict !== "ok")).toEqual([]);
    mark = events.length;
    await sim.send("idle 1 100 600");
    await until(() => seen(1, "dead", mark), "idle overrun → dead");
    await until(() => seen(1, "ok", mark), "back to running");
  });

  test("a PARKED core never alarms, however long", async () => {
    const { sim, events, until, seen } = await watched(2);
    const mark = events.length;
    await sim.send("park 1");
    await until(() => seen(1, "unmonitored", mark), "unmonitored");
    await Bun.sleep(POLICY.deadMs * 3);
    expect(events.slice(mark).map((e) => e.verdict)).toEqual(["unmonitored"]);
    await sim.send("unpark 1");
    await until(() => seen(1, "ok", mark), "ok after unpark");
  });

  test("a counter that goes backwards is corrupt", async () => {
    const { sim, seen, until, events } = await watched(1);
    const mark = events.length;
    await sim.send("backwards 0");
    await until(() => seen(0, "corrupt", mark), "corrupt");
  });

  test("writer kill -9 → writer-gone for every core; a restarted writer is picked up (new instance)", async () => {
    const { path, sim, seen, until, events } = await watched(3);
    const mark = events.length;
    await sim.kill("SIGKILL");
    await until(() => [0, 1, 2].every((i) => seen(i, "writer-gone", mark)), "writer-gone");
    const sim2 = await startSim(path, 3, { paceUs: 200 });
    cleanup.push(() => sim2.kill());
    await until(() => events.slice(mark).some((e) => e.verdict === "attached" && e.reason.includes(`pid ${sim2.pid}`)), "re-attach");
    await until(() => [0, 1, 2].every((i) => seen(i, "ok", mark)), "ok again");
  });

  test("a clean stop (tombstone) makes every core unmonitored, not dead", async () => {
    const { sim, seen, until, events } = await watched(2);
    const mark = events.length;
    await sim.send("quit");
    await until(() => seen(0, "unmonitored", mark) && seen(1, "unmonitored", mark), "unmonitored");
    expect(events.slice(mark).some((e) => e.verdict === "dead" || e.verdict === "writer-gone")).toBe(false);
  });

  test("sealed memfd: the region is attached as sealed and cannot be truncated by anyone", async () => {
    const { path, w, events } = await watched(2);
    expect(w.sealed).toBe(true);
    expect(events[0]?.reason).toContain("sealed memfd");
    expect(() => truncateSync(path, 0)).toThrow(); // EPERM: F_SEAL_SHRINK
  });

  test("unsealed file truncated while mapped: no crash, the watch stops reading it and says why", async () => {
    const { path, seen, until, events } = await watched(2, { plain: true });
    const mark = events.length;
    truncateSync(path, 0);
    await until(() => seen(0, "corrupt", mark) || events.slice(mark).some((e) => e.verdict === "invalid"), "truncation noticed");
    await Bun.sleep(POLICY.pollMs * 20); // keep polling: must not SIGBUS
    expect(events.slice(mark).some((e) => e.reason.includes("truncated") || e.verdict === "invalid")).toBe(true);
  });

  test("file deleted while mapped: no crash; the mapping stays valid and the cores stay judged", async () => {
    const { path, sim, seen, until, events } = await watched(2, { plain: true });
    unlinkSync(path);
    expect(() => statSync(path)).toThrow();
    const mark = events.length;
    await sim.send("stall 0");
    await until(() => seen(0, "dead", mark), "still judged after unlink");
  });
});
