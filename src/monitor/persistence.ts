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

export type Target = "events" | "journal" | "flight";

/** While failing, at most one log line per target per this interval. */
export const PERSIST_LOG_INTERVAL_MS = 30_000;

interface Failing {
  since: number;
  failed: number;
  loggedAt: number;
  error: string;
}

export class PersistenceHealth {
  private readonly failing = new Map<Target, Failing>();
  /** Events that never reached events.jsonl. */
  eventsLost = 0;
  /** Journal writes that failed (the next one retries with everything). */
  journalFailures = 0;
  flightFailures = 0;

  constructor(private readonly log: Logger, private readonly emit: (ev: MonitorEvent) => void, private readonly now: () => number) {}

  get failingTargets(): string {
    return [...this.failing.keys()].join(",");
  }

  ok(target: Target): void {
    const f = this.failing.get(target);
    if (!f) return;
    this.failing.delete(target);
    const why = `${target} writes succeed again after ${f.failed} failed (${Math.round(this.now() - f.since)} ms)`;
    this.log("info", "persistence recovered", { target, failed: f.failed });
    queueMicrotask(() => this.emit({ component: "", event: "persistence-recovered", level: "", reason: why }));
  }

  failed(target: Target, path: string, err: unknown): void {
    if (target === "events") this.eventsLost++;
    else if (target === "journal") this.journalFailures++;
    else this.flightFailures++;
    const now = this.now();
    const error = (err as Error)?.message ?? String(err);
    const f = this.failing.get(target);
    if (!f) {
      this.failing.set(target, { since: now, failed: 1, loggedAt: now, error });
      this.log("error", "persistence failing", { target, path, error });
      queueMicrotask(() => this.emit({ component: "", event: "persistence-failed", level: "", reason: `${target}: cannot write ${path}: ${error}` }));
      return;
    }
    f.failed++;
    f.error = error;
    if (now - f.loggedAt >= PERSIST_LOG_INTERVAL_MS) {
      f.loggedAt = now;
      this.log("error", "persistence still failing", { target, path, failed: f.failed, error });
    }
  }
}
