/**
 * Whether the state directory is taking the monitor's writes (events.jsonl,
 * the journal, flight records). A full or read-only disk must not flood the
 * log nor go unnoticed: the first failure of a target is logged and becomes a
 * `persistence-failed` event; while it keeps failing, one log line per
 * interval says how many writes failed; the first success after that is a
 * `persistence-recovered` event. Counts are kept for status and metrics.
 *
 * Events are emitted on the next turn (queueMicrotask): a failure found while
 * an event is being written must not re-enter the writer.
 */
import type { Logger } from "../log.ts";
import type { MonitorEvent } from "./dispatch.ts";

export type Target = "events" | "journal" | "flight" | "logs";

/** While failing, at most one log line per target per this interval. */
export const PERSIST_LOG_INTERVAL_MS = 30_000;

interface TargetState {
  failing: boolean;
  since: number;
  failed: number;
  /** A persistence-failed was said for the current episode (so its recovery is said too). */
  announced: boolean;
  /** When failing was last said (log + event) or logged again: at most once per interval, flapping included. */
  saidAt: number;
  error: string;
}

export class PersistenceHealth {
  private readonly targets = new Map<Target, TargetState>();
  /** Events that never reached events.jsonl. */
  eventsLost = 0;
  /** Journal writes that failed (the next one retries with everything). */
  journalFailures = 0;
  flightFailures = 0;
  /** Daemon log rotations that failed. */
  logFailures = 0;

  constructor(private readonly log: Logger, private readonly emit: (ev: MonitorEvent) => void, private readonly now: () => number) {}

  get failingTargets(): string {
    return [...this.targets].filter(([, t]) => t.failing).map(([k]) => k).join(",");
  }

  ok(target: Target): void {
    const t = this.targets.get(target);
    if (!t || !t.failing) return;
    t.failing = false;
    if (!t.announced) return; // a failure never said is not followed by a recovery said
    t.announced = false;
    const why = `${target} writes succeed again after ${t.failed} failed (${Math.round(this.now() - t.since)} ms)`;
    this.log("info", "persistence recovered", { target, failed: t.failed });
    queueMicrotask(() => this.emit({ component: "", event: "persistence-recovered", level: "", reason: why }));
  }

  failed(target: Target, path: string, err: unknown): void {
    if (target === "events") this.eventsLost++;
    else if (target === "journal") this.journalFailures++;
    else if (target === "logs") this.logFailures++;
    else this.flightFailures++;
    const now = this.now();
    const error = (err as Error)?.message ?? String(err);
    let t = this.targets.get(target);
    if (!t) {
      t = { failing: false, since: now, failed: 0, announced: false, saidAt: -Infinity, error };
      this.targets.set(target, t);
    }
    if (!t.failing) {
      // A new episode; a disk that flaps (a freed block lets one write through) is not said again within the interval.
      t.failing = true;
      t.since = now;
      t.failed = 0;
    }
    t.failed++;
    t.error = error;
    if (now - t.saidAt < PERSIST_LOG_INTERVAL_MS) return;
    t.saidAt = now;
    if (!t.announced) {
      t.announced = true;
      this.log("error", "persistence failing", { target, path, error });
      queueMicrotask(() => this.emit({ component: "", event: "persistence-failed", level: "", reason: `${target}: cannot write ${path}: ${error}` }));
    } else {
      this.log("error", "persistence still failing", { target, path, failed: t.failed, error });
    }
  }
}
