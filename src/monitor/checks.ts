/**
 * The health-check schedule: every (component, check) pair is a slot in
 * preallocated parallel typed arrays, so the loop that runs every tick reads
 * and writes numbers only: no Map, no closure, no object per tick. Slots are
 * added on registration and freed on disconnect (a free list), the only
 * moments this structure allocates.
 *
 * Query checks: the monitor sends a query when `due` passes and fails the
 * check when no reply arrives by `deadline`. Confirm checks: the component
 * must confirm at least once per period + timeout. Each sample goes through
 * rise/fall hysteresis; only transitions reach the decision engine. The last
 * SAMPLES results per slot are kept for the flight recorder.
 *
 * Query ids encode the slot (id = generation * MAX_SLOTS + slot + 1, below
 * 2^32 so a C component can keep them in a uint32), so a reply finds its slot
 * without a lookup table and a late reply to an older query is recognised.
 */
import type { CheckMode } from "../protocol/messages.ts";

export const MAX_SLOTS = 65_536;
/** Samples remembered per check for the flight recorder. */
export const SAMPLES = 16;
const GENERATIONS = 65_535;

export interface CheckDef {
  readonly name: string;
  readonly mode: CheckMode;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** What tick() needs from the outside world; one object for the monitor's lifetime. */
export interface CheckSink {
  /** Send query `id` for `check` to the component owning `slot`; false when it cannot be sent. */
  sendQuery(owner: number, check: string, id: number): boolean;
  /**
   * A check changed state (after hysteresis). `certain` is false when the
   * evidence is a missed deadline, which the monitor's own lateness can fake.
   */
  transition(slot: number, owner: number, ok: boolean, reason: string, certain: boolean): void;
}

export interface Sample { readonly atMs: number; readonly ok: boolean; readonly reason: string }

/** The slot a query id belongs to (ids encode it: see the header). */
export function slotOfId(id: number): number {
  return (id - 1) % MAX_SLOTS;
}

/** The next multiple of `period` after `now`, at least half a period away. */
function gridAfter(now: number, period: number): number {
  return (Math.round(now / period) + 1) * period;
}

export class CheckTable {
  private cap = 0;
  private high = 0; // slots in use are below this index
  private readonly free: number[] = [];
  private gen = 0;
  // Parallel arrays, one element per slot.
  private owner = new Int32Array(0);
  private active = new Uint8Array(0);
  private mode = new Uint8Array(0); // 0 query, 1 confirm
  private period = new Float64Array(0);
  private timeout = new Float64Array(0);
  private rise = new Uint8Array(0);
  private fall = new Uint8Array(0);
  private due = new Float64Array(0);
  private pending = new Float64Array(0); // outstanding query id, 0 = none
  private deadline = new Float64Array(0);
  private okRun = new Uint16Array(0);
  private failRun = new Uint16Array(0);
  private failed = new Uint8Array(0);
  /** Its last failing sample was silence (a timeout, a missed confirm, a probe unanswered), not an answer saying failed. */
  private silent = new Uint8Array(0);
  /** While failed, every further failed sample is a transition too (a busy component is looked at again each time). */
  private again = new Uint8Array(0);
  private ringAt = new Float64Array(0);
  private ringOk = new Uint8Array(0);
  private ringHead = new Uint8Array(0);
  private names: string[] = [];
  private ringWhy: string[] = [];
  /** Earliest `due` or `deadline` seen by the last tick: the scheduler sleeps until then. */
  nextWakeMs = Infinity;

  constructor(initial = 64) {
    this.grow(initial);
  }

  get used(): number { return this.high - this.free.length; }

  /** Adds a check for `owner` (the caller's component index). The first query goes out at once. */
  add(owner: number, d: CheckDef, now: number): number {
    const slot = this.free.pop() ?? this.high++;
    if (slot >= MAX_SLOTS) throw new RangeError(`more than ${MAX_SLOTS} checks`);
    if (slot >= this.cap) this.grow(Math.min(MAX_SLOTS, this.cap * 2));
    this.owner[slot] = owner;
    this.active[slot] = 1;
    this.mode[slot] = d.mode === "confirm" ? 1 : 0;
    this.period[slot] = d.periodMs;
    this.timeout[slot] = d.timeoutMs;
    this.rise[slot] = d.rise;
    this.fall[slot] = d.fall;
    // A confirm check gets a full period + timeout before its first miss.
    this.due[slot] = d.mode === "confirm" ? now + d.periodMs + d.timeoutMs : now;
    this.pending[slot] = 0;
    this.okRun[slot] = 0;
    this.failRun[slot] = 0;
    this.failed[slot] = 0;
    this.silent[slot] = this.again[slot] = this.ringHead[slot] = 0;
    this.ringAt.fill(0, slot * SAMPLES, (slot + 1) * SAMPLES);
    this.names[slot] = d.name;
    this.nextWakeMs = Math.min(this.nextWakeMs, this.due[slot]!);
    return slot;
  }

  remove(slot: number): void {
    if (!this.active[slot]) return;
    this.active[slot] = 0;
    this.pending[slot] = 0;
    this.free.push(slot);
  }

  ownerOf(slot: number): number { return this.owner[slot]!; }

  nameOf(slot: number): string { return this.names[slot] ?? ""; }

  modeOf(slot: number): "query" | "confirm" { return this.mode[slot] === 1 ? "confirm" : "query"; }

  /** The timeout of the check a query id belongs to. */
  timeoutOf(id: number): number { return this.timeout[slotOfId(id)] ?? 0; }

  periodOf(slot: number): number { return this.period[slot]!; }

  isFailed(slot: number): boolean { return this.failed[slot] === 1; }

  /** Whether `slot`'s last failing sample was silence (no answer in time), which a busy process also gives. */
  wasSilent(slot: number): boolean { return this.silent[slot] === 1; }

  /** Until `slot` passes again, each further failed sample is a transition too (engine/stall.ts: a busy component is judged again). */
  reportEachFailure(slot: number): void {
    if (this.active[slot] === 1 && this.failed[slot] === 1) this.again[slot] = 1;
  }

  /**
   * Runs every due query and deadline. Allocation-free unless a query is
   * actually sent (the message) or a check fails (its reason text).
   */
  tick(now: number, sink: CheckSink): void {
    let wake = Infinity;
    for (let i = 0; i < this.high; i++) {
      if (this.active[i] === 0) continue;
      if (this.mode[i] === 0) {
        if (this.pending[i] !== 0) {
          if (now >= this.deadline[i]!) {
            this.pending[i] = 0;
            this.sample(i, false, now, sink, "timeout");
          } else if (this.deadline[i]! < wake) wake = this.deadline[i]!;
        }
        // Coalescing: a query due within the next tenth of its period (≤ 100 ms)
        // goes out with this wake, and the next one is due on the period's grid
        // (multiples of the period on the monotonic clock), so every check of
        // the same period shares one wake-up and the replies come back as one
        // burst: an idle monitor wakes about once per period, not once per check.
        if (this.active[i] === 1 && this.pending[i] === 0 && now >= this.due[i]! - Math.min(this.period[i]! * 0.1, 100)) {
          // Outstanding before it is sent: a check the monitor answers at once (a resource sample) replies inside sendQuery.
          const id = this.nextId(i);
          this.pending[i] = id;
          this.deadline[i] = now + this.timeout[i]!;
          if (!sink.sendQuery(this.owner[i]!, this.names[i]!, id)) this.pending[i] = 0;
          else if (this.pending[i] !== 0 && this.deadline[i]! < wake) wake = this.deadline[i]!;
          this.due[i] = gridAfter(now, this.period[i]!);
        }
      } else if (now >= this.due[i]!) {
        this.due[i] = now + this.period[i]!;
        this.sample(i, false, now, sink, "missed-confirm");
      }
      if (this.active[i] === 1 && this.pending[i] === 0 && this.due[i]! < wake) wake = this.due[i]!;
    }
    this.nextWakeMs = wake;
  }

  /** A reply arrived (`silent`: a probe the daemon left unanswered). Returns false when `id` is not an outstanding query (late or forged). */
  reply(id: number, ok: boolean, reason: string, now: number, sink: CheckSink, silent = false): boolean {
    const slot = slotOfId(id);
    if (id < 1 || slot >= this.high || this.pending[slot] !== id) return false;
    this.pending[slot] = 0;
    this.sample(slot, ok, now, sink, reason, silent);
    return true;
  }

  /** A component confirmed `slot`'s check. */
  confirm(slot: number, ok: boolean, reason: string, now: number, sink: CheckSink): void {
    if (!this.active[slot]) return;
    this.due[slot] = now + this.period[slot]! + this.timeout[slot]!;
    this.sample(slot, ok, now, sink, reason);
  }

  /** Query `id`'s answer proves nothing (a probe whose own deadline ran late in a stall): no sample, asked again now. */
  recheckQuery(id: number, now: number): boolean {
    const slot = slotOfId(id);
    return id >= 1 && slot < this.high && this.pending[slot] === id && (this.recheck(slot, now), true);
  }

  /** Forget the evidence and ask again now (the monitor was starved: its timeouts prove nothing); the state stays until a new sample. */
  recheck(slot: number, now: number): void {
    if (!this.active[slot]) return;
    this.pending[slot] = 0;
    this.failRun[slot] = 0;
    this.due[slot] = this.mode[slot] === 0 ? now : now + this.period[slot]! + this.timeout[slot]!;
    if (this.due[slot]! < this.nextWakeMs) this.nextWakeMs = this.due[slot]!;
  }

  /**
   * Asks again soon, at least `afterMs` from now, rather than a whole period
   * later: a daemon that is starting fails its probe until it serves, and its
   * readiness (and what starts after it) should not wait a period for that.
   */
  retrySoon(slot: number, afterMs: number, now: number): void {
    if (!this.active[slot] || this.mode[slot] !== 0 || this.pending[slot] !== 0) return;
    // Past the coalescing window, so an unrelated wake-up cannot send it at once.
    const due = now + afterMs + Math.min(this.period[slot]! * 0.1, 100);
    if (due >= this.due[slot]!) return;
    this.due[slot] = due;
    if (due < this.nextWakeMs) this.nextWakeMs = due;
  }

  /** Recent samples of `slot`, oldest first (flight recorder; allocates, used rarely). */
  samples(slot: number): Sample[] {
    const out: Sample[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const j = slot * SAMPLES + ((this.ringHead[slot]! + k) % SAMPLES);
      if (this.ringAt[j]! > 0) out.push({ atMs: this.ringAt[j]!, ok: this.ringOk[j] === 1, reason: this.ringWhy[j] ?? "" });
    }
    return out;
  }

  /** Active slots (for status and the flight recorder; allocates). */
  slots(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.high; i++) if (this.active[i] === 1) out.push(i);
    return out;
  }

  /** `why` is a short code or the component's own text; the reason string is built only on a transition. */
  private sample(i: number, ok: boolean, now: number, sink: CheckSink, why: string, silent = false): void {
    const j = i * SAMPLES + this.ringHead[i]!;
    this.ringAt[j] = now;
    this.ringOk[j] = ok ? 1 : 0;
    this.ringWhy[j] = why;
    this.ringHead[i] = (this.ringHead[i]! + 1) % SAMPLES;
    if (ok) {
      this.failRun[i] = 0;
      if (this.okRun[i]! < 65_535) this.okRun[i]!++;
      if (this.failed[i] === 1 && this.okRun[i]! >= this.rise[i]!) {
        this.failed[i] = 0;
        this.again[i] = 0;
        sink.transition(i, this.owner[i]!, true, `check '${this.names[i]}' passed ${this.okRun[i]} time(s)`, true);
      }
    } else {
      this.okRun[i] = 0;
      if (this.failRun[i]! < 65_535) this.failRun[i]!++;
      this.silent[i] = silent || why === "timeout" || why === "missed-confirm" ? 1 : 0;
      if ((this.failed[i] === 0 && this.failRun[i]! >= this.fall[i]!) || this.again[i] === 1) {
        this.failed[i] = 1;
        sink.transition(i, this.owner[i]!, false, this.explain(i, why), why !== "timeout" && why !== "missed-confirm");
      }
    }
  }

  private explain(i: number, why: string): string {
    const n = this.names[i];
    if (why === "timeout") return `check '${n}': no reply within ${this.timeout[i]} ms (${this.failRun[i]} in a row)`;
    if (why === "missed-confirm") return `check '${n}': not confirmed within ${this.period[i]! + this.timeout[i]!} ms`;
    return `check '${n}' failed: ${why || "no detail"}${this.failRun[i]! > 1 ? `, ${this.failRun[i]} in a row` : ""}`;
  }

  private nextId(slot: number): number {
    this.gen = (this.gen + 1) % GENERATIONS;
    return this.gen * MAX_SLOTS + slot + 1;
  }

  private grow(n: number): void {
    // Every column keeps its type and its values; `k` slots per check for the sample rings.
    const more = <T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(a: T, k = 1): T => {
      const b = new (a.constructor as new (len: number) => T)(n * k);
      b.set(a);
      return b;
    };
    [this.owner, this.active, this.mode, this.period, this.timeout] = [more(this.owner), more(this.active), more(this.mode), more(this.period), more(this.timeout)];
    [this.rise, this.fall, this.due, this.pending, this.deadline] = [more(this.rise), more(this.fall), more(this.due), more(this.pending), more(this.deadline)];
    [this.okRun, this.failRun, this.failed, this.ringHead] = [more(this.okRun), more(this.failRun), more(this.failed), more(this.ringHead)];
    [this.silent, this.again] = [more(this.silent), more(this.again)];
    [this.ringAt, this.ringOk] = [more(this.ringAt, SAMPLES), more(this.ringOk, SAMPLES)];
    this.cap = n;
  }
}
