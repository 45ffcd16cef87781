/**
 * Writing the journal (format: journal.ts): coalesced (every change of one
 * turn is one write), forced before actions, restarts and spawns (the
 * write-ahead that lets a monitor killed mid-restart finish it), retried a
 * second later when the disk refuses it (never a spin), and able to tell a
 * caller when what changed is on disk (`whenWritten`: a clean goodbye is
 * acknowledged only then).
 */
import type { EngineState } from "../engine/decide.ts";
import type { Logger } from "../log.ts";
import type { Supervisor } from "../process/supervisor.ts";
import { saveJournal, type JournalComponent } from "./journal.ts";
import type { PersistenceHealth } from "./persistence.ts";
import type { Entry } from "./registry.ts";

/** A failed write is tried again this long after (every save rewrites everything, so nothing is lost meanwhile). */
export const JOURNAL_RETRY_MS = 1_000;

export interface JournalSource {
  readonly engine: EngineState;
  entries(): Iterable<Entry>;
  readonly sup: Supervisor;
  seqCeiling(): number;
  readonly stopped: boolean;
  quarantinedOf(name: string): boolean;
}

export class JournalWriter {
  private dirty = false;
  private readonly waiters: (() => void)[] = [];
  private readonly flushBound = () => this.flush();

  constructor(readonly path: string, private readonly src: JournalSource, private readonly persistence: PersistenceHealth | null, private readonly log: Logger) {}

  /** Something changed: write at the end of this turn (once, whatever else changes meanwhile). */
  mark(): void {
    if (this.dirty) return;
    this.dirty = true;
    setTimeout(this.flushBound, 0);
  }

  /** Runs `then` after the next write (coalesced: 1,500 goodbyes in one turn are one write). */
  whenWritten(then: () => void): void {
    this.waiters.push(then);
    this.mark();
  }

  /** Writes now if anything changed, or always with `force`. */
  flush(force = false): void {
    if (!this.dirty && !force) return;
    this.dirty = false;
    const waiters = this.waiters.splice(0);
    try {
      this.write();
    } finally {
      // Answered whether or not the write succeeded: a full disk is reported (persistence-failed), not a hung peer.
      for (const w of waiters) w();
    }
  }

  private write(): void {
    const s = this.src;
    const comps: JournalComponent[] = [];
    for (const e of s.entries()) {
      const owned = s.sup.owns(e.name);
      comps.push({
        name: e.name, active: e.active, quarantined: s.quarantinedOf(e.name), restarts: e.restarts,
        pid: owned ? s.sup.pidOf(e.name) : 0, startTime: owned ? s.sup.startTimeOf(e.name) : 0,
        kind: e.kind, plane: e.plane, up: e.state === "up" || (e.state === "starting" && e.readyByMs !== Infinity), restarting: e.expectGone,
        ...(e.state === "stopped" ? { stopped: true } : {}),
      });
    }
    try {
      saveJournal(this.path, s.engine, comps, s.seqCeiling());
      this.persistence?.ok("journal");
    } catch (err) {
      if (!s.stopped) setTimeout(() => this.mark(), JOURNAL_RETRY_MS);
      if (this.persistence) this.persistence.failed("journal", this.path, err);
      else this.log("error", "journal write failed", { path: this.path, error: (err as Error).message });
    }
  }
}
