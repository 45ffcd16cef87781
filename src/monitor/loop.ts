/**
 * The monitor's one timer, and its own health: it sleeps until the client's
 * earliest deadline (at most MAX_SLEEP_MS), runs the client's tick, and
 * measures how late it woke. A wake-up more than STARVED_AFTER_MS late, or a
 * tick that itself ran that long (a freeze inside it: SIGSTOP, a paused VM,
 * an fsync stuck on a busy disk), means the monitor was starved: the client
 * is told, so it re-checks instead of failing components on stale evidence.
 *
 * @example
 *   const loop = new Loop({ nextDeadline, tick, starved }, now, REAL_TIMER, histogram);
 *   loop.start(now());  …  loop.reschedule(now());  …  loop.stop();
 */
import type { LatenessHistogram } from "../engine/lateness.ts";

/** Woken this much later than planned: the monitor was starved (not the components). */
export const STARVED_AFTER_MS = 250;
/** Longest sleep: bounds how stale `now`-based bookkeeping can get. */
export const MAX_SLEEP_MS = 1_000;

/** What the scheduler needs of a timer: one pending wake-up at a time. */
export interface LoopTimer {
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export const REAL_TIMER: LoopTimer = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

export interface LoopClient {
  /** The earliest moment something is due (monotonic ms). */
  nextDeadline(now: number): number;
  tick(now: number): void;
  /** The monitor itself ran `lateMs` late. */
  starved(lateMs: number): void;
}

export class Loop {
  private handle: unknown = null;
  private plannedWake = Infinity;
  private stopped = false;
  private readonly onTimerBound = () => this.onTimer();

  constructor(private readonly client: LoopClient, private readonly now: () => number, private readonly timer: LoopTimer, readonly lateness: LatenessHistogram) {}

  start(now: number): void {
    this.schedule(now);
  }

  stop(): void {
    this.stopped = true;
    if (this.handle) this.timer.clear(this.handle);
    this.handle = null;
  }

  /** Wake earlier than planned if `now`'s bookkeeping added an earlier deadline. */
  reschedule(now: number): void {
    if (this.client.nextDeadline(now) < this.plannedWake - 1) this.schedule(now);
  }

  private schedule(now: number): void {
    if (this.stopped) return;
    if (this.handle) this.timer.clear(this.handle);
    const delay = Math.max(1, Math.min(MAX_SLEEP_MS, this.client.nextDeadline(now) - now));
    this.plannedWake = now + delay;
    this.handle = this.timer.set(this.onTimerBound, delay);
  }

  private onTimer(): void {
    this.handle = null;
    const now = this.now();
    const late = now - this.plannedWake;
    this.lateness.observe(late);
    if (late > STARVED_AFTER_MS) this.client.starved(late);
    this.client.tick(now);
    // A freeze *inside* this tick is not seen by the next timer: it is scheduled from after the
    // freeze and fires on time, while the deadlines set before the freeze look missed, or a reply
    // that waited in the socket makes them look met. Either way the evidence is stale.
    const end = this.now();
    if (end - now > STARVED_AFTER_MS) this.client.starved(end - now);
    this.schedule(end);
  }
}
