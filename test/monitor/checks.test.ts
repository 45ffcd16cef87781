/** The check schedule: queries, timeouts, confirms, hysteresis, ids; and zero allocation when idle (GC-counted). */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { collectionsBetweenMarkers } from "../helpers/gc-count.ts";
import { CheckTable, MAX_SLOTS, type CheckDef, type CheckSink } from "../../src/monitor/checks.ts";

function recorder() {
  const sent: { owner: number; check: string; id: number }[] = [];
  const moves: { slot: number; ok: boolean; reason: string; certain: boolean }[] = [];
  const sink: CheckSink = {
    sendQuery: (owner, check, id) => (sent.push({ owner, check, id }), true),
    transition: (slot, _o, ok, reason, certain) => moves.push({ slot, ok, reason, certain }),
  };
  return { sent, moves, sink };
}

const Q: CheckDef = { name: "health", mode: "query", periodMs: 100, timeoutMs: 50, rise: 1, fall: 1 };

describe("query checks", () => {
  test("first query at once, then every period; a reply clears it", () => {
    const t = new CheckTable();
    const r = recorder();
    t.add(7, Q, 0);
    t.tick(0, r.sink);
    expect(r.sent).toEqual([{ owner: 7, check: "health", id: r.sent[0]!.id }]);
    expect(t.reply(r.sent[0]!.id, true, "", 5, r.sink)).toBe(true);
    t.tick(50, r.sink);
    expect(r.sent.length).toBe(1);
    t.tick(95, r.sink); // within the coalescing slack (10% of the period)
    expect(r.sent.length).toBe(2);
    expect(r.moves).toEqual([]);
  });

  test("retrySoon: asked again after afterMs plus the coalescing window, not a period later; never at once on an unrelated wake-up", () => {
    const P: CheckDef = { ...Q, periodMs: 1_000, timeoutMs: 500 };
    const t = new CheckTable();
    const r = recorder();
    const slot = t.add(1, P, 0);
    t.tick(0, r.sink);
    t.reply(r.sent[0]!.id, false, "ECONNREFUSED", 2, r.sink);
    t.retrySoon(slot, 50, 2);
    expect(t.nextWakeMs).toBe(152); // 2 + 50 + min(10 % of 1000, 100)
    t.tick(10, r.sink); // a fast-path tick: too early
    expect(r.sent.length).toBe(1);
    t.tick(60, r.sink); // within the window of the retry's due time
    expect(r.sent.length).toBe(2);
    t.retrySoon(slot, 50, 61); // a query is outstanding: nothing changes
    t.reply(r.sent[1]!.id, true, "", 62, r.sink);
    t.retrySoon(slot, 5_000, 63); // later than its period: the period wins
    t.tick(950, r.sink);
    expect(r.sent.length).toBe(3);
  });

  test("no reply by the deadline: one failed transition, marked uncertain (a missed deadline)", () => {
    const t = new CheckTable();
    const r = recorder();
    const slot = t.add(1, Q, 0);
    t.tick(0, r.sink);
    t.tick(49, r.sink);
    expect(r.moves).toEqual([]);
    t.tick(50, r.sink);
    expect(r.moves).toEqual([{ slot, ok: false, reason: "check 'health': no reply within 50 ms (1 in a row)", certain: false }]);
    expect(t.isFailed(slot)).toBe(true);
    // A late reply to the timed-out query is not accepted.
    expect(t.reply(r.sent[0]!.id, true, "", 60, r.sink)).toBe(false);
  });

  test("a failed reply is certain evidence and carries the component's words", () => {
    const t = new CheckTable();
    const r = recorder();
    t.add(1, Q, 0);
    t.tick(0, r.sink);
    t.reply(r.sent[0]!.id, false, "lsdb checksum mismatch", 1, r.sink);
    expect(r.moves[0]).toMatchObject({ ok: false, certain: true, reason: "check 'health' failed: lsdb checksum mismatch" });
  });

  test("rise/fall hysteresis: fall=3 needs three failures, rise=2 two passes", () => {
    const t = new CheckTable();
    const r = recorder();
    const slot = t.add(1, { ...Q, fall: 3, rise: 2 }, 0);
    const answer = (now: number, ok: boolean) => {
      t.tick(now, r.sink);
      t.reply(r.sent.at(-1)!.id, ok, ok ? "" : "bad", now + 1, r.sink);
    };
    answer(0, false);
    answer(100, false);
    expect(r.moves).toEqual([]);
    answer(200, true); // a pass resets the failure run
    answer(300, false);
    answer(400, false);
    expect(r.moves).toEqual([]);
    answer(500, false);
    expect(r.moves.map((m) => m.ok)).toEqual([false]);
    answer(600, true);
    expect(r.moves.length).toBe(1);
    answer(700, true);
    expect(r.moves.map((m) => m.ok)).toEqual([false, true]);
    expect(t.isFailed(slot)).toBe(false);
  });

  test("ids encode the slot and stay below 2^32; a forged id is refused", () => {
    const t = new CheckTable();
    const r = recorder();
    for (let i = 0; i < 3; i++) t.add(i, Q, 0);
    t.tick(0, r.sink);
    for (const s of r.sent) {
      expect(s.id).toBeLessThan(2 ** 32);
      expect((s.id - 1) % MAX_SLOTS).toBe(s.owner);
    }
    expect(t.reply(r.sent[0]!.id + MAX_SLOTS, true, "", 1, r.sink)).toBe(false);
    expect(t.reply(0, true, "", 1, r.sink)).toBe(false);
  });

  test("recheck forgets pending evidence and asks again at once", () => {
    const t = new CheckTable();
    const r = recorder();
    const slot = t.add(1, Q, 0);
    t.tick(0, r.sink);
    t.recheck(slot, 10);
    t.tick(10, r.sink);
    expect(r.sent.length).toBe(2);
    t.tick(55, r.sink); // the first query's deadline passed, but it was forgotten
    expect(r.moves).toEqual([]);
  });

  test("freed slots are reused; samples keep the last results for the flight recorder", () => {
    const t = new CheckTable(2);
    const r = recorder();
    const a = t.add(1, Q, 0);
    t.add(2, Q, 0);
    t.add(3, Q, 0); // grows past the initial capacity
    t.remove(a);
    expect(t.add(4, Q, 0)).toBe(a);
    t.tick(0, r.sink);
    expect(r.sent.map((s) => s.owner).sort()).toEqual([2, 3, 4]); // the checks added before the growth kept their columns
    t.reply(r.sent.find((s) => s.owner === 4)!.id, false, "x", 3, r.sink);
    expect(t.samples(a)).toEqual([{ atMs: 3, ok: false, reason: "x" }]);
    expect(t.used).toBe(3);
  });
});

describe("confirm checks", () => {
  test("missing a confirm for period + timeout fails; a confirm restores", () => {
    const t = new CheckTable();
    const r = recorder();
    const slot = t.add(1, { ...Q, mode: "confirm" }, 0);
    t.tick(100, r.sink);
    t.confirm(slot, true, "", 120, r.sink);
    t.tick(269, r.sink);
    expect(r.moves).toEqual([]);
    t.tick(270, r.sink);
    expect(r.moves[0]).toMatchObject({ ok: false, certain: false, reason: "check 'health': not confirmed within 150 ms" });
    t.confirm(slot, true, "", 280, r.sink);
    expect(r.moves.map((m) => m.ok)).toEqual([false, true]);
    expect(r.sent).toEqual([]); // confirm checks are never queried
  });
});

describe("allocation", () => {
  const CHILD = join(import.meta.dir, "..", "fixtures", "tick-alloc.ts");
  const collections = (mode: string, ticks: number) => collectionsBetweenMarkers(CHILD, [mode, String(ticks)]);

  test("10^5 idle ticks over 1,000 checks trigger no garbage collection", () => {
    expect(collections("table", 100_000)).toBe(0);
  }, 60_000);

  test("the measurement can fail: a 1 KiB array per tick does trigger collections", () => {
    expect(collections("control", 100_000)).toBeGreaterThan(0);
  }, 60_000);
});
