/**
 * The monitor's one timer, and its own health: it sleeps until the client's
 * earliest deadline (at most MAX_SLEEP_MS), runs the client's tick, and
 * measures how late it woke. A wake-up more than STARVED_AFTER_MS late, or a
 * tick that itself ran that long (a freeze inside it: SIGSTOP, a paused VM,
 * an fsync stuck on a busy disk), means the monitor was starved: the client
 * is told, so it re-checks instead of failing components on stale evidence.
 *
 * Every other timer of the monitor is one of the loop's too (`after`): a
 * query's timeout, a pid file's next look, the journal's sync, the socket's
 * sweep. They run after the client's tick (as sd-event runs its post
 * sources after the dispatch), on the same clock, so a fake clock drives
 * them all in tests, and a starved monitor sees them as late as the rest.
 *
 * @example
 *   const loop = new Loop({ nextDeadline, tick, starved }, now, REAL_TIMER, histogram);
 *   loop.start(now());  …  const t = loop.after(5_000, giveUp);  …  t.cancel();  …  loop.stop();
 */
import type { LatenessHistogram } from "../engine/lateness.ts";

/** Woken this much later than planned: the monitor was starved (not the components). */
export const STARVED_AFTER_MS = 250;
/**
 * Longest sleep when nothing is due. Everything time-driven has a deadline
 * of its own (checks, readiness, grace, liveness polls, pid files, PSI
 * samples, the end of a starvation window, timers), so this only bounds the
 * chores without one (dead orphans collected) and how stale `now`-based
 * bookkeeping gets: an idle monitor wakes once in 5 s, not once a second.
 */
export const MAX_SLEEP_MS = 5_000;

/** What the scheduler needs of a timer: one pending wake-up at a time. */
export interface LoopTimer {
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export const REAL_TIMER: LoopTimer = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/** A pending `after`: cancel() is idempotent and safe after it fired. */
export interface Timer {
  cancel(): void;
}

/** What a helper needs of the loop: a timer on its clock. */
export type After = (delayMs: number, fn: () => void) => Timer;

interface Pending {
  at: number;
  fn: () => void;
  live: boolean;
}

export interface LoopClient {
  /** The earliest moment something is due (monotonic ms). */
  nextDeadline(now: number): number;
  tick(now: number): void;
  /** The monitor itself ran `lateMs` late. */
  starved(lateMs: number): void;
}

/** The client of a loop that has none yet (the composition root starts the loop before the core exists). */
const IDLE: LoopClient = { nextDeadline: () => Infinity, tick: () => {}, starved: () => {} };

export class Loop {
  private handle: unknown = null;
  private plannedWake = Infinity;
  private started = false;
  private stopped = false;
  private pending: Pending[] = [];
  private readonly onTimerBound = () => this.onTimer();
  /** Bound once: what helpers are given (`After`). */
  readonly after: After = (delayMs, fn) => this.add(delayMs, fn);
  /**
   * Settles after `ms` on the loop's clock (a stop deadline). Once the loop is
   * stopped (the monitor exiting still awaits its daemons' stops), on the
   * timer itself, so such a deadline still comes.
   */
  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => void (this.stopped ? this.timer.set(resolve, Math.max(0, ms)) : this.add(ms, resolve)));

  constructor(private client: LoopClient, private readonly now: () => number, private readonly timer: LoopTimer, readonly lateness: LatenessHistogram) {}

  /** A loop whose client comes later (attach): it runs its timers meanwhile. */
  static idle(now: () => number, timer: LoopTimer, lateness: LatenessHistogram): Loop {
    return new Loop(IDLE, now, timer, lateness);
  }

  /** The core becomes the client: its deadlines and tick from its start() on (which calls start() here again). */
  attach(client: LoopClient): void {
    this.client = client;
  }

  start(now: number): void {
    this.started = true;
    this.schedule(now);
  }

  stop(): void {
    this.stopped = true;
    if (this.handle) this.timer.clear(this.handle);
    this.handle = null;
    this.pending = [];
  }

  private add(delayMs: number, fn: () => void): Timer {
    const p: Pending = { at: this.now() + Math.max(0, delayMs), fn, live: !this.stopped };
    if (!p.live) return { cancel() {} };
    this.pending.push(p);
    if (this.started && p.at < this.plannedWake - 1) this.schedule(this.now());
    return {
      cancel: () => {
        p.live = false;
      },
    };
  }

  /** The earliest live timer (dead ones are dropped on the way). */
  private earliestTimer(): number {
    let at = Infinity;
    let w = 0;
    for (const p of this.pending) {
      if (!p.live) continue;
      this.pending[w++] = p;
      if (p.at < at) at = p.at;
    }
    this.pending.length = w;
    return at;
  }

  /** Runs the timers that are due, in order; one that adds another adds it for a later turn. */
  private runDue(now: number): void {
    // The common turn (a watchdog poll every tick) has nothing due: no array is made for it.
    let any = false;
    for (const p of this.pending) if (p.live && p.at <= now) any = true;
    if (!any) return;
    const due = this.pending.filter((p) => p.live && p.at <= now).sort((a, b) => a.at - b.at);
    for (const p of due) {
      if (!p.live) continue; // cancelled by one that ran before it
      p.live = false;
      p.fn();
    }
  }

  /** Wake earlier than planned if `now`'s bookkeeping added an earlier deadline. */
  reschedule(now: number): void {
    if (this.client.nextDeadline(now) < this.plannedWake - 1) this.schedule(now);
  }

  private schedule(now: number): void {
    if (this.stopped) return;
    if (this.handle) this.timer.clear(this.handle);
    const delay = Math.max(1, Math.min(MAX_SLEEP_MS, Math.min(this.client.nextDeadline(now), this.earliestTimer()) - now));
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
    const ticked = this.now();
    if (ticked - now > STARVED_AFTER_MS) this.client.starved(ticked - now);
    // The post timers (effects of what the tick saw: decisions, spawns, records) run after it and
    // do not count as the tick's own time: they gather no evidence.
    this.runDue(ticked);
    this.schedule(this.now());
  }
}
