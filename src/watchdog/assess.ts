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
  /** Nominal scan period: a scan later than `lateFactor` periods rebases every core. */
  readonly pollMs: number;
  readonly lateFactor?: number;
}

const NO_VERDICT = 255;

/** The verdict a slot's state gives on its own: cores that run or idle are judged, the rest are not. */
function stateVerdict(st: number): number {
  if (st === SLOT_STATE.RUNNING || st === SLOT_STATE.IDLE) return VERDICT.OK;
  return st <= SLOT_STATE.EXITED ? VERDICT.UNMONITORED : VERDICT.CORRUPT;
}

export class Assessor {
  private readonly prevLo: Uint32Array;
  private readonly prevState: Uint32Array;
  private readonly prevSeq: Uint32Array;
  private readonly prevGen: Uint32Array;
  private readonly lastChange: Float64Array;
  private readonly sticky: Uint8Array;
  readonly verdict: Uint8Array;
  private readonly ring: Int32Array;
  private count = 0;
  private lastScan = -1;
  /** Scans that came too late and rebased instead of judging. */
  lateScans = 0;
  scans = 0;

  constructor(
    private readonly w: Uint32Array,
    private readonly metaOk: Uint8Array,
    readonly slots: number,
    private readonly p: AssessPolicy,
  ) {
    this.prevLo = new Uint32Array(slots);
    this.prevState = new Uint32Array(slots).fill(0xffffffff);
    this.prevSeq = new Uint32Array(slots);
    this.prevGen = new Uint32Array(slots);
    this.lastChange = new Float64Array(slots);
    this.sticky = new Uint8Array(slots);
    this.verdict = new Uint8Array(slots).fill(NO_VERDICT);
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
    const late = this.lastScan >= 0 && now - this.lastScan > (this.p.lateFactor ?? 3) * this.p.pollMs;
    this.lastScan = now;
    if (late) this.lateScans++;
    const w = this.w;
    for (let i = 0; i < this.slots; i++) {
      const b = W.slotBase + i * W.slotWords;
      // state_seq first and last: a state change racing this read shows as seq1 ≠ seq2
      // (best effort: the JIT may merge the two loads; the next scan's prevSeq
      // comparison catches the change regardless).
      const seq1 = w[b + SW.stateSeq]!;
      const st = w[b + SW.state]!;
      const gen = w[b + SW.launchGen]!;
      const lo = w[b + SW.beatLo]!;
      const maxIdle = w[b + SW.maxIdleMs]!;
      const seq2 = w[b + SW.stateSeq]!;
      let v: number;
      if (this.metaOk[i] === 0) {
        v = VERDICT.CORRUPT;
      } else if (late) {
        // Our own tick came late (starved host, paused VM): no evidence either
        // way. Rebase the clock and keep the previous verdict.
        this.prevState[i] = st;
        this.prevSeq[i] = seq1;
        this.prevGen[i] = gen;
        this.prevLo[i] = lo;
        this.lastChange[i] = now;
        v = this.verdict[i] !== NO_VERDICT ? this.verdict[i]! : stateVerdict(st);
      } else if (seq1 !== seq2 || st !== this.prevState[i] || seq1 !== this.prevSeq[i] || gen !== this.prevGen[i]) {
        // A state change or a relaunch: rebase the baseline, as the kernel does on "touch".
        this.prevState[i] = st;
        this.prevSeq[i] = seq1;
        this.prevGen[i] = gen;
        this.prevLo[i] = lo;
        this.lastChange[i] = now;
        this.sticky[i] = 0;
        v = stateVerdict(st);
      } else if (this.sticky[i] !== 0) {
        v = VERDICT.CORRUPT;
      } else if (lo !== this.prevLo[i]) {
        if (((lo - this.prevLo[i]!) >>> 0) > 0x80000000) {
          this.sticky[i] = 1; // the counter went backwards without a relaunch: not a beat
          v = VERDICT.CORRUPT;
        } else {
          this.prevLo[i] = lo;
          this.lastChange[i] = now;
          v = stateVerdict(st);
        }
      } else {
        const age = now - this.lastChange[i]!;
        if (st === SLOT_STATE.RUNNING) v = age >= this.p.deadMs ? VERDICT.DEAD : age >= this.p.suspectMs ? VERDICT.SUSPECT : VERDICT.OK;
        else if (st === SLOT_STATE.IDLE) v = maxIdle > 0 && age >= maxIdle + this.p.idleSlackMs ? VERDICT.DEAD : VERDICT.OK;
        else v = st <= SLOT_STATE.EXITED ? VERDICT.UNMONITORED : VERDICT.CORRUPT;
      }
      if (v !== this.verdict[i]) {
        this.verdict[i] = v;
        this.ring[2 * this.count] = i;
        this.ring[2 * this.count + 1] = v;
        this.count++;
      }
    }
    return this.count;
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
