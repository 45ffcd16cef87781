/**
 * The pace of a beating core (src/watchdog/pace.ts), pure: windows of counters
 * written into a fake mapping. A heavier load (fewer, fuller iterations, more
 * work) is never slow; a loop rate fallen with no more work is, after three
 * windows, and steady again at once; IDLE and PARKED never are, and their
 * baseline starts again; busy ≥ 95 % for 60 s is overloaded; a late window
 * judges nothing; no allocation per window.
 */
import { describe, expect, test } from "bun:test";
import { HEADER_BYTES, SLOT_BYTES, SLOT_STATE, SW, W } from "../../src/watchdog/layout.ts";
import { BASELINE_WINDOWS, OVERLOAD_MS, Pace, PACE, SLOW_WINDOWS, WINDOW_MS } from "../../src/watchdog/pace.ts";

/** A mapping of `n` slots, all RUNNING, and a writer of its counters. */
function region(n = 1) {
  const w = new Uint32Array((HEADER_BYTES + n * SLOT_BYTES) / 4);
  const c = Array.from({ length: n }, () => ({ beat: 0, work: 0, busy: 0, total: 0 }));
  const set64 = (at: number, v: number) => {
    w[at] = v % 4_294_967_296;
    w[at + 1] = Math.floor(v / 4_294_967_296);
  };
  for (let i = 0; i < n; i++) w[W.slotBase + i * W.slotWords + SW.state] = SLOT_STATE.RUNNING;
  return {
    w,
    /** One window of slot i: `beats` loop iterations, `work` items, `busyPct` of `cycles`. */
    run(i: number, beats: number, work: number, busyPct = 50, cycles = 3e9) {
      const s = c[i]!;
      s.beat += beats;
      s.work += work;
      s.busy += (cycles * busyPct) / 100;
      s.total += cycles;
      const b = W.slotBase + i * W.slotWords;
      w[b + SW.beatLo] = s.beat >>> 0;
      set64(b + SW.work, s.work);
      set64(b + SW.busyTsc, s.busy);
      set64(b + SW.totalTsc, s.total);
    },
    state(i: number, st: number) {
      const b = W.slotBase + i * W.slotWords;
      w[b + SW.state] = st;
      w[b + SW.stateSeq]!++;
    },
  };
}

const live = new Uint8Array(4);

function windows(p: Pace, r: ReturnType<typeof region>, t0: number, list: [number, number, number?][]): string[] {
  const out: string[] = [];
  list.forEach(([beats, work, busy], k) => {
    r.run(0, beats, work, busy);
    p.sample(t0 + (k + 1) * WINDOW_MS, live);
    out.push(["steady", "slow", "overloaded"][p.pace[0]!]!);
  });
  return out;
}

describe("pace", () => {
  test("a heavier load (fewer, fuller iterations, more work) is never slow; the same work at a fallen loop rate is slow after three windows; steady again at once", () => {
    const r = region();
    const p = new Pace(r.w, 1, true, true);
    p.sample(0, live);
    const base = Array.from({ length: BASELINE_WINDOWS }, () => [3e6, 12e6] as [number, number]);
    expect(windows(p, r, 0, base)).toEqual(Array(BASELINE_WINDOWS).fill("steady"));
    // Full bursts: a third of the iterations, twice the packets.
    expect(windows(p, r, BASELINE_WINDOWS * WINDOW_MS, [[1e6, 24e6], [1e6, 24e6], [1e6, 24e6], [1e6, 24e6]])).toEqual(["steady", "steady", "steady", "steady"]);
    // A hog on its CPU: half the iterations and half the work.
    const t = (BASELINE_WINDOWS + 4) * WINDOW_MS;
    const hog = windows(p, r, t, Array.from({ length: SLOW_WINDOWS + 1 }, () => [0.3e6, 7e6] as [number, number]));
    expect(hog).toEqual([...Array(SLOW_WINDOWS - 1).fill("steady"), "slow", "slow"]);
    expect(p.beatRate[0]).toBeCloseTo(0.3e6, -3);
    expect(p.baselineOf(0)).toBeGreaterThan(0.6e6); // the hog's windows were not learned
    expect(windows(p, r, t + (SLOW_WINDOWS + 1) * WINDOW_MS, [[1e6, 24e6]])).toEqual(["steady"]);
  });

  test("a window with more work is the new baseline at once: near saturation the loop rate falls far for a little more work, and that is not slow", () => {
    const r = region();
    const p = new Pace(r.w, 1, true, true);
    p.sample(0, live);
    windows(p, r, 0, Array(BASELINE_WINDOWS).fill([5e6, 50e6]));
    // 50 → 57 Mpps (14 % more work, a fifth fewer loops: not yet a fall below 60 %), then 55 Mpps at half the loops.
    // Averaged in, the first window left the work baseline within reach of 55 and the loop-rate one far above 2.6: slow.
    const out = windows(p, r, BASELINE_WINDOWS * WINDOW_MS, [[4e6, 57e6], [2.6e6, 55e6], [2.6e6, 55e6], [2.6e6, 55e6], [2.6e6, 55e6]]);
    expect(out).toEqual(Array(5).fill("steady"));
    expect(p.baselineOf(0)).toBeLessThan(4.1e6);
  });

  test("without the work counter nothing is ever slow (beats alone cannot tell load from slowness)", () => {
    const r = region();
    const p = new Pace(r.w, 1, false, true);
    p.sample(0, live);
    const out = windows(p, r, 0, [...Array(BASELINE_WINDOWS).fill([3e6, 0]), ...Array(SLOW_WINDOWS + 2).fill([0.3e6, 0])]);
    expect(out.every((v) => v === "steady")).toBe(true);
  });

  test("IDLE and PARKED are never slow, and start the baseline again; a core not ok (suspect, dead) neither", () => {
    const r = region();
    const p = new Pace(r.w, 1, true, true);
    p.sample(0, live);
    windows(p, r, 0, Array(BASELINE_WINDOWS).fill([3e6, 12e6]));
    r.state(0, SLOT_STATE.IDLE);
    expect(windows(p, r, BASELINE_WINDOWS * WINDOW_MS, Array(SLOW_WINDOWS + 2).fill([1_000, 10]))).toEqual(Array(SLOW_WINDOWS + 2).fill("steady"));
    r.state(0, SLOT_STATE.PARKED);
    const parkedAt = (BASELINE_WINDOWS + SLOW_WINDOWS + 2) * WINDOW_MS;
    expect(windows(p, r, parkedAt, Array(SLOW_WINDOWS + 2).fill([0, 0]))).toEqual(Array(SLOW_WINDOWS + 2).fill("steady"));
    r.state(0, SLOT_STATE.RUNNING);
    // Back to RUNNING at a lower rate: a new baseline, learned first, so not slow either.
    const runningAt = parkedAt + (SLOW_WINDOWS + 2) * WINDOW_MS;
    expect(windows(p, r, runningAt, Array(BASELINE_WINDOWS + SLOW_WINDOWS).fill([0.3e6, 1e6]))).toEqual(Array(BASELINE_WINDOWS + SLOW_WINDOWS).fill("steady"));
    // …and judged again: that new baseline learned, a fall with no more work is slow.
    expect(windows(p, r, runningAt + (BASELINE_WINDOWS + SLOW_WINDOWS) * WINDOW_MS, Array(SLOW_WINDOWS).fill([0.1e6, 1e6])).at(-1)).toBe("slow");
    const notOk = new Uint8Array([1]);
    let slow = 0;
    for (let k = 0; k < 10; k++) {
      r.run(0, 1, 1);
      slow += p.sample(100_000 + k * WINDOW_MS, notOk) && p.pace[0] === PACE.SLOW ? 1 : 0;
    }
    expect(slow).toBe(0);
  });

  test("busy ≥ 95 % for 60 s running is overloaded (94 % never); a late window judges nothing", () => {
    const r = region();
    const p = new Pace(r.w, 1, true, true);
    p.sample(0, live);
    const n = OVERLOAD_MS / WINDOW_MS;
    const at94 = windows(p, r, 0, Array(n + 5).fill([3e6, 12e6, 94]));
    expect(at94.every((v) => v === "steady")).toBe(true);
    const at97 = windows(p, r, (n + 5) * WINDOW_MS, Array(n + 1).fill([3e6, 12e6, 97]));
    expect(at97.slice(0, n - 1).every((v) => v === "steady")).toBe(true);
    expect(at97.at(-1)).toBe("overloaded");
    // The monitor came 5 s late: nothing judged, the core's windows start again.
    r.run(0, 3e6, 12e6, 97);
    p.sample((2 * n + 6) * WINDOW_MS + 5_000, live);
    expect(p.pace[0]).toBe(PACE.NORMAL);
  });

  test("no allocation per window: 100,000 windows over 64 cores", () => {
    const r = region(64);
    const p = new Pace(r.w, 64, true, true);
    const l = new Uint8Array(64);
    p.sample(0, l);
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    for (let k = 1; k <= 100_000; k++) {
      r.w[W.slotBase + SW.beatLo] = k * 1000;
      p.sample(k * WINDOW_MS, l);
    }
    Bun.gc(true);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 1024);
  });
});
