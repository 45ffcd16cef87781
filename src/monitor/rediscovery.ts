/**
 * The re-registration window of a monitor that has just started: which
 * components it waits for (declared ones, the ones its journal says were
 * registered, the ones whose beacon answered), and when discovery is over:
 * all of them are back, or the window has passed. Then it says so once: an
 * event, and READY=1 to systemd (Type=notify) with a STATUS= line.
 *
 * A component still missing at the end is not failed here: its readiness
 * deadline (set to the same window) fails it in the core, through the
 * engine, like any component that does not register in time.
 */
import type { Notifier } from "../sys/sd-notify.ts";

export interface DiscoveryOutcome {
  readonly back: number;
  readonly awaited: number;
  readonly ms: number;
  readonly missing: readonly string[];
}

export class Rediscovery {
  private readonly awaited = new Set<string>();
  private total = 0;
  /**
   * Beacons are touched asynchronously after start: until they have been,
   * an empty awaited set does not mean discovery is over.
   */
  private settled = false;
  private readonly startedMs: number;
  /** Deadline while discovery is open; Infinity once it is over. */
  untilMs: number;

  constructor(now: number, windowMs: number, private readonly done: (o: DiscoveryOutcome) => void) {
    this.startedMs = now;
    this.untilMs = now + windowMs;
  }

  get open(): boolean {
    return this.untilMs !== Infinity;
  }

  /** Adds a component to wait for (idempotent; ignored once discovery is over). */
  await(name: string): void {
    if (!this.open || this.awaited.has(name)) return;
    this.awaited.add(name);
    this.total++;
  }

  /** A component registered. Ends discovery when it was the last one awaited. */
  arrived(name: string, now: number): void {
    if (this.awaited.delete(name) && this.awaited.size === 0 && this.settled) this.finish(now);
  }

  /** Beacons touched and answered: from now on an empty awaited set ends discovery. */
  settle(now: number): void {
    this.settled = true;
    if (this.open && this.awaited.size === 0) this.finish(now);
  }

  tick(now: number): void {
    if (now >= this.untilMs) this.finish(now);
  }

  private finish(now: number): void {
    if (!this.open) return;
    this.untilMs = Infinity;
    const missing = [...this.awaited].sort();
    this.done({ back: this.total - missing.length, awaited: this.total, ms: Math.round(now - this.startedMs), missing });
    this.awaited.clear();
  }
}

/** The systemd side of the outcome: READY=1 plus a one-line STATUS. */
export function notifyReady(n: Notifier | null, o: DiscoveryOutcome): void {
  n?.send(`READY=1\nSTATUS=monitoring; ${o.back} of ${o.awaited} components back after ${o.ms} ms${o.missing.length ? `, missing: ${o.missing.slice(0, 8).join(" ")}` : ""}\n`);
}
