/**
 * Per-core verdicts from successive scans of a heartbeat mapping. Pure logic
 * over an injected `now` (monotonic ms); zero allocation per scan: all state
 * lives in typed arrays sized once, and transitions go into a preallocated
 * ring the caller drains.
 *
 * Reads are plain aligned 32-bit loads (one `mov`: a 32-bit word cannot
 * tear). Not Atomics.load: once JIT-compiled, JSC emits a locked
 * read-modify-write for it, which faults on our PROT_READ mapping (measured:
 * SIGSEGV after warm-up) and, on a writable mapping, would write into every
 * core's hot cache line. Not BigInt reads: they allocate. The JIT-hoisting
 * hazard of plain loads applies to re-reading one word in a tight loop; a scan
 * reads each word once per call and calls come from a timer. Liveness needs
 * only the low 32 bits of the beat counter: a change is a beat.
 *
 * @example
 *   const a = new Assessor(u32, metaOk, n, { suspectMs: 50, deadMs: 250, idleSlackMs: 50, pollMs: 10 });
 *   a.scan(performance.now()); for (let k = 0; k < a.transitionCount; k++) a.transitionSlot(k), a.transitionVerdict(k)
 */
import { SLOT_STATE, SW, W } from "./layout.ts";

export const VERDICT = { OK: 0, SUSPECT: 1, DEAD: 2, CORRUPT: 3, UNMONITORED: 4, WRITER_GONE: 5 } as const;
export const VERDICT_NAMES = ["ok", "suspect", "dead", "corrupt", "unmonitored", "writer-gone"] as const;
export type VerdictName = (typeof VERDICT_NAMES)[number];

export interface AssessPolicy {
  /** RUNNING core with no beat for this long: suspect. */
  readonly suspectMs: number;
  /** RUNNING core with no beat for this long: dead. */
  readonly deadMs: number;
  /** Tolerance added to an IDLE core's promised max idle time. */
  readonly idleSlackMs: number;
  /** Nominal scan period: a scan later than `lateFactor` periods vouches for only that much of the silence since the last. */
  readonly pollMs: number;
  readonly lateFactor?: number;
}

const NO_VERDICT = 255;
const META_BAD = 1;
const BACKWARDS = 2;

/** The verdict a slot's state gives on its own: cores that run or idle are judged, the rest are not. */
function stateVerdict(st: number): number {
  if (st === SLOT_STATE.RUNNING || st === SLOT_STATE.IDLE) return VERDICT.OK;
  return st <= SLOT_STATE.EXITED ? VERDICT.UNMONITORED : VERDICT.CORRUPT;
}

/**
 * What an assessor on the watchdog's thread shares with the main thread:
 * its verdicts and clocks (read there for views: status, pace), written only
 * by the assessor. One SharedArrayBuffer per region: lastChange (f64 per
 * slot), late scans (one f64), verdict (u8 per slot).
 */
export interface AssessShare {
  readonly verdict: Uint8Array;
  readonly lastChange: Float64Array;
  readonly late: Float64Array;
}
export function assessShare(buf: SharedArrayBuffer, slots: number): AssessShare {
  return { lastChange: new Float64Array(buf, 0, slots), late: new Float64Array(buf, 8 * slots, 1), verdict: new Uint8Array(buf, 8 * slots + 8, slots) };
}
export const assessShareBytes = (slots: number): number => 8 * slots + 8 + slots;

export class Assessor {
  private readonly prevLo: Uint32Array;
  private readonly prevState: Uint32Array;
  private readonly prevSeq: Uint32Array;
  private readonly prevGen: Uint32Array;
  private readonly lastChange: Float64Array;
  /** Per slot: META_BAD (cold-line CRC failed at attach, permanent) | BACKWARDS (until a relaunch). */
  private readonly flags: Uint8Array;
  readonly verdict: Uint8Array;
  private readonly ring: Int32Array;
  private count = 0;
  private lastScan = -1;
  /** Scans that came late: each vouched for only `lateFactor` periods of the silence before it. */
  lateScans = 0;
  scans = 0;

  constructor(
    private readonly w: Uint32Array,
    metaOk: Uint8Array,
    readonly slots: number,
    private readonly p: AssessPolicy,
    private readonly share: AssessShare | null = null,
  ) {
    this.prevLo = new Uint32Array(slots);
    this.prevState = new Uint32Array(slots);
    this.prevSeq = new Uint32Array(slots).fill(0xffffffff); // forces a rebase on the first scan
    this.prevGen = new Uint32Array(slots);
    this.lastChange = share?.lastChange ?? new Float64Array(slots);
    this.flags = new Uint8Array(slots);
    for (let i = 0; i < slots; i++) if (metaOk[i] === 0) this.flags[i] = META_BAD;
    this.verdict = (share?.verdict ?? new Uint8Array(slots)).fill(NO_VERDICT);
    this.ring = new Int32Array(slots * 2);
  }

  /** Transitions recorded by the last scan (a slot appears at most once per scan). */
  get transitionCount(): number {
    return this.count;
  }
  transitionSlot(k: number): number {
    return this.ring[2 * k]!;
  }
  transitionVerdict(k: number): number {
    return this.ring[2 * k + 1]!;
  }
  /** Milliseconds since slot `i` last beat or changed state, as of `now`. */
  ageMs(i: number, now: number): number {
    return now - this.lastChange[i]!;
  }

  /** One pass over every slot. Returns the number of verdict transitions. */
  scan(now: number): number {
    this.count = 0;
    this.scans++;
    const gap = this.lastScan >= 0 ? now - this.lastScan : 0;
    this.lastScan = now;
    const vouch = (this.p.lateFactor ?? 3) * this.p.pollMs;
    if (gap > vouch) {
      // Our own scan came late (a starved host, a paused VM, a busy loop). A core that has not beaten
      // between two reads has not beaten, however late the second: that evidence is kept. What the
      // monitor did not see is how the silence compares to a scan on time: the core may have been
      // starved by the same cause. So a late scan vouches for `vouch` ms of silence, no more: the
      // unseen part of the gap is not counted towards suspect or dead (no false verdict on our pause),
      // and no evidence is thrown away either (a 400 ms stall is not missed when every scan is late).
      this.lateScans++;
      if (this.share) this.share.late[0] = this.lateScans;
      this.discount(gap - vouch);
    }
    // Locals, not fields: a store into one typed array could alias another as far
    // as the JIT knows, so `this.x[i]` would reload the field on every access.
    const { w, prevSeq, prevGen, prevLo, prevState, lastChange, flags, verdict, ring } = this;
    const { suspectMs, deadMs, idleSlackMs } = this.p;
    let count = 0;
    for (let i = 0; i < this.slots; i++) {
      const b = W.slotBase + i * W.slotWords;
      // Hot path: three loads. The state can only change together with
      // state_seq (writer rule), so the cached state is current while seq is.
      const seq = w[b + SW.stateSeq]!;
      const gen = w[b + SW.launchGen]!;
      const lo = w[b + SW.beatLo]!;
      const f = flags[i]!;
      let v: number;
      if (f & META_BAD) {
        v = VERDICT.CORRUPT;
      } else if (seq !== prevSeq[i] || gen !== prevGen[i]) {
        // A state change or a relaunch: rebase the baseline, as the kernel does on "touch".
        const st = w[b + SW.state]!;
        prevState[i] = st;
        prevSeq[i] = seq;
        prevGen[i] = gen;
        prevLo[i] = lo;
        lastChange[i] = now;
        flags[i] = f & ~BACKWARDS;
        v = stateVerdict(st);
      } else if (f & BACKWARDS) {
        v = VERDICT.CORRUPT;
      } else if (lo !== prevLo[i]) {
        if (((lo - prevLo[i]!) >>> 0) > 0x80000000) {
          flags[i] = f | BACKWARDS; // the counter went backwards without a relaunch: not a beat
          v = VERDICT.CORRUPT;
        } else {
          prevLo[i] = lo;
          lastChange[i] = now;
          v = stateVerdict(prevState[i]!);
        }
      } else {
        const st = prevState[i]!;
        const age = now - lastChange[i]!;
        if (st === SLOT_STATE.RUNNING) v = age >= deadMs ? VERDICT.DEAD : age >= suspectMs ? VERDICT.SUSPECT : VERDICT.OK;
        else if (st === SLOT_STATE.IDLE) {
          const maxIdle = w[b + SW.maxIdleMs]!;
          v = maxIdle > 0 && age >= maxIdle + idleSlackMs ? VERDICT.DEAD : VERDICT.OK;
        } else v = stateVerdict(st);
      }
      if (v !== verdict[i]) {
        verdict[i] = v;
        ring[2 * count] = i;
        ring[2 * count + 1] = v;
        count++;
      }
    }
    this.count = count;
    return this.count;
  }

  /**
   * After our own late scan: the silence we did not watch is not counted
   * (each clock moves forward by it). Not a dead core's: our pause cannot make
   * it deader, and its age is what an operator reads ("no beat for 2 s").
   * A suspect core stays suspect (its counted silence only grows), so a late
   * scan never turns it ok without a beat.
   */
  private discount(unseenMs: number): void {
    const { verdict, lastChange } = this;
    for (let i = 0; i < this.slots; i++) if (verdict[i] !== VERDICT.DEAD) lastChange[i] = lastChange[i]! + unseenMs;
  }

  /** The writer is gone or stopped: every slot gets `v` (writer-gone or unmonitored). */
  setAll(v: number): number {
    this.count = 0;
    for (let i = 0; i < this.slots; i++) {
      if (this.verdict[i] === v) continue;
      this.verdict[i] = v;
      this.ring[2 * this.count] = i;
      this.ring[2 * this.count + 1] = v;
      this.count++;
    }
    return this.count;
  }
}
