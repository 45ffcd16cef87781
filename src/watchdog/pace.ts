/**
 * The pace of a core that still beats: slow or overloaded (the liveness
 * verdicts are assess.ts's). Judged once per window (about a second) from the
 * counters a minor-1 writer keeps beside its beat (docs/heartbeat.md §2):
 *
 * - **slow**: its loop rate fell below SLOW_RATIO of its own recent baseline
 *   while RUNNING, for SLOW_WINDOWS windows in a row, and no more work
 *   explains it (packets per second did not rise above the baseline's by
 *   more than WORK_SLACK). A poll loop under a heavier load runs fewer,
 *   fuller iterations and does more work: that is never slow. Another process
 *   scheduled on its CPU, a slower path taken for the same work: slow.
 *   Needs the `work` counter (FLAG_WORK): beats alone cannot tell the two.
 * - **overloaded**: busy cycles ≥ OVERLOAD_PCT of its cycles for OVERLOAD_MS
 *   running (Open vSwitch's PMD threshold: 95 % for 60 s). Needs FLAG_USAGE.
 *
 * A window with more work than the baseline by WORK_SLACK (a load step, or a
 * window astride one) becomes the baseline at once; other windows that are
 * not slow are averaged into it.
 *
 * IDLE, PARKED and EXITED cores, a state change, a relaunch, a core whose
 * liveness verdict is not ok, or a window the monitor itself came late to:
 * the baseline starts again; none of them is ever slow. The baseline learns
 * only from windows that are not slow (a hog that stays does not become the
 * new normal).
 *
 * Pure over an injected `now`; typed arrays sized once, no allocation per
 * window; 64-bit counters read as hi, lo, hi (the writer's stores are
 * single 64-bit stores: equal halves around the low word give a value it held).
 */
import { SLOT_STATE, SW, W } from "./layout.ts";

export const PACE = { NORMAL: 0, SLOW: 1, OVERLOADED: 2 } as const;
export const PACE_NAMES = ["steady", "slow", "overloaded"] as const;

export const WINDOW_MS = 1_000;
export const SLOW_RATIO = 0.6;
export const SLOW_WINDOWS = 3;
export const BASELINE_WINDOWS = 5;
export const WORK_SLACK = 1.1;
export const OVERLOAD_PCT = 95;
export const OVERLOAD_MS = 60_000;
/** Weight of a new normal window in the baseline (a moving average over about five windows). */
const ALPHA = 0.2;

export class Pace {
  private readonly seq: Uint32Array;
  private readonly gen: Uint32Array;
  private readonly beat: Uint32Array;
  private readonly work: Float64Array;
  private readonly busy: Float64Array;
  private readonly total: Float64Array;
  private readonly baseBeat: Float64Array;
  private readonly baseWork: Float64Array;
  private readonly learned: Uint16Array;
  private readonly slowRun: Uint16Array;
  private readonly busySince: Float64Array;
  /** The last window's figures, for the reason an operator reads. */
  readonly beatRate: Float64Array;
  readonly workRate: Float64Array;
  readonly busyPct: Float64Array;
  readonly pace: Uint8Array;
  private readonly ring: Int32Array;
  private count = 0;
  private lastAt = -1;

  constructor(private readonly w: Uint32Array, readonly slots: number, private readonly hasWork: boolean, private readonly hasUsage: boolean) {
    this.seq = new Uint32Array(slots);
    this.gen = new Uint32Array(slots);
    this.beat = new Uint32Array(slots);
    this.work = new Float64Array(slots);
    this.busy = new Float64Array(slots);
    this.total = new Float64Array(slots);
    this.baseBeat = new Float64Array(slots);
    this.baseWork = new Float64Array(slots);
    this.learned = new Uint16Array(slots);
    this.slowRun = new Uint16Array(slots);
    this.busySince = new Float64Array(slots).fill(Infinity);
    this.beatRate = new Float64Array(slots);
    this.workRate = new Float64Array(slots);
    this.busyPct = new Float64Array(slots);
    this.pace = new Uint8Array(slots);
    this.ring = new Int32Array(slots * 2);
  }

  get transitionCount(): number {
    return this.count;
  }
  transitionSlot(k: number): number {
    return this.ring[2 * k]!;
  }
  transitionPace(k: number): number {
    return this.ring[2 * k + 1]!;
  }
  /** The baseline loop rate of slot `i` (beats/s; 0 while it is learned). */
  baselineOf(i: number): number {
    return this.learned[i]! >= BASELINE_WINDOWS ? this.baseBeat[i]! : 0;
  }

  /**
   * One window, at `now`; `live[i]` is the liveness verdict (0 ok). Returns
   * the number of pace transitions. A window more than twice as long as
   * WINDOW_MS (the monitor came late) judges nothing and starts every core's
   * window again.
   */
  sample(now: number, live: Uint8Array): number {
    this.count = 0;
    const dt = this.lastAt < 0 ? 0 : now - this.lastAt;
    const fresh = this.lastAt < 0 || dt > 2 * WINDOW_MS || dt <= 0;
    this.lastAt = now;
    const w = this.w;
    for (let i = 0; i < this.slots; i++) {
      const b = W.slotBase + i * W.slotWords;
      const seq = w[b + SW.stateSeq]!;
      const gen = w[b + SW.launchGen]!;
      const beat = w[b + SW.beatLo]!;
      const work = this.hasWork ? read64(w, b + SW.work) : 0;
      const busy = this.hasUsage ? read64(w, b + SW.busyTsc) : 0;
      const total = this.hasUsage ? read64(w, b + SW.totalTsc) : 0;
      const running = w[b + SW.state] === SLOT_STATE.RUNNING && live[i] === 0;
      const same = !fresh && running && seq === this.seq[i] && gen === this.gen[i];
      let next: number = PACE.NORMAL;
      if (!same) {
        this.learned[i] = 0;
        this.slowRun[i] = 0;
        this.busySince[i] = Infinity;
      } else {
        const beats = ((beat - this.beat[i]!) >>> 0) * 1000 / dt;
        const works = Math.max(0, work - this.work[i]!) * 1000 / dt;
        this.beatRate[i] = beats;
        this.workRate[i] = works;
        if (this.hasWork && this.learned[i]! >= BASELINE_WINDOWS && beats < SLOW_RATIO * this.baseBeat[i]! && works <= WORK_SLACK * this.baseWork[i]!) {
          if (this.slowRun[i]! < 65_535) this.slowRun[i]!++;
        } else if (this.hasWork && this.learned[i]! > 0 && works > WORK_SLACK * this.baseWork[i]!) {
          // More work than its baseline (a load step, or a window astride one): that is its new normal at once.
          // Averaged in, the work baseline caught up within the slack while the loop-rate baseline was still far
          // above, and the next window of the new load looked slow (bench:dpdk, 80 % → full rate).
          this.slowRun[i] = 0;
          this.baseBeat[i] = beats;
          this.baseWork[i] = works;
        } else {
          this.slowRun[i] = 0;
          const first = this.learned[i] === 0;
          this.baseBeat[i] = first ? beats : this.baseBeat[i]! + ALPHA * (beats - this.baseBeat[i]!);
          this.baseWork[i] = first ? works : this.baseWork[i]! + ALPHA * (works - this.baseWork[i]!);
          if (this.learned[i]! < 65_535) this.learned[i]!++;
        }
        const dTotal = total - this.total[i]!;
        this.busyPct[i] = dTotal > 0 ? Math.min(100, (Math.max(0, busy - this.busy[i]!) / dTotal) * 100) : 0;
        if (this.hasUsage && dTotal > 0 && this.busyPct[i]! >= OVERLOAD_PCT) this.busySince[i] = Math.min(this.busySince[i]!, now - dt);
        else this.busySince[i] = Infinity;
        if (this.slowRun[i]! >= SLOW_WINDOWS) next = PACE.SLOW;
        else if (now - this.busySince[i]! >= OVERLOAD_MS) next = PACE.OVERLOADED;
      }
      this.seq[i] = seq;
      this.gen[i] = gen;
      this.beat[i] = beat;
      this.work[i] = work;
      this.busy[i] = busy;
      this.total[i] = total;
      if (next !== this.pace[i]) {
        this.pace[i] = next;
        this.ring[2 * this.count] = i;
        this.ring[2 * this.count + 1] = next;
        this.count++;
      }
    }
    return this.count;
  }
}

/** A 64-bit counter the writer stores whole, read as two plain 32-bit loads: hi, lo, hi again until the halves agree. */
function read64(w: Uint32Array, at: number): number {
  for (;;) {
    const hi = w[at + 1]!;
    const lo = w[at]!;
    if (w[at + 1] === hi) return hi * 4_294_967_296 + lo;
  }
}
