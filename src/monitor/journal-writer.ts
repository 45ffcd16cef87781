/**
 * Writing the journal (format: journal.ts): coalesced (every change of one
 * turn is one write), forced before actions, restarts and spawns (the
 * write-ahead that lets a monitor killed mid-restart finish it), retried a
 * second later when the disk refuses it (never a spin), and able to tell a
 * caller when what changed is written (`whenWritten`: a clean goodbye is
 * acknowledged only then).
 *
 * Two speeds of "written". Every write is crash-safe at once: temp file and
 * rename, which a monitor started after this one is killed reads back (the
 * page cache is the kernel's, not ours). Surviving a power cut needs fsync,
 * a disk wait of milliseconds (2–3 ms on this machine's ext4, seconds on a
 * busy disk) that must not sit between a daemon's death and its restart,
 * nor block the loop: so each write is made durable by syncDurable in the
 * thread pool, at most SYNC_DELAY_MS later, one sync for a burst of writes.
 * A power cut inside that window loses at most the last changes, which a
 * reboot largely resets anyway (failure history does not survive a boot:
 * journal.ts); stop() ends with a synchronous durable write.
 */
import type { After, Timer } from "./loop.ts";
import type { EngineState } from "../engine/decide.ts";
import type { Logger } from "../log.ts";
import type { Supervisor } from "../process/supervisor.ts";
import { syncDurable } from "../sys/atomic.ts";
import { saveJournal, type JournalComponent } from "./journal.ts";
import type { PersistenceHealth } from "./persistence.ts";
import type { Entry } from "./registry.ts";

/** A failed write is tried again this long after (every save rewrites everything, so nothing is lost meanwhile). */
export const JOURNAL_RETRY_MS = 1_000;
/** A crash-safe write is made durable (fsync in the thread pool) within this. */
export const SYNC_DELAY_MS = 100;

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
  /** Writes not yet fsynced; a sync is scheduled or running while > 0. */
  private unsynced = 0;
  private syncing = false;
  private syncTimer: Timer | null = null;
  private readonly syncBound = () => void this.sync();

  /** `after`: the loop's timer (loop.ts): the coalesced write, the delayed sync and the retry run on the monitor's one clock. */
  constructor(readonly path: string, private readonly src: JournalSource, private readonly persistence: PersistenceHealth | null, private readonly log: Logger, private readonly after: After, private readonly syncFile: (path: string) => Promise<void> = syncDurable) {}

  /** Writes done but not yet made durable (0 once the sync after them finished). */
  get unsyncedWrites(): number {
    return this.unsynced;
  }

  /** Something changed: write at the end of this turn (once, whatever else changes meanwhile). */
  mark(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.after(0, this.flushBound);
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

  /** The last write, durable now, synchronously (the monitor is stopping: nothing else runs). */
  close(): void {
    this.syncTimer?.cancel();
    this.syncTimer = null;
    this.dirty = false;
    this.write(true);
  }

  /** fsyncs the journal in the thread pool; writes made meanwhile get a sync of their own after. */
  private async sync(): Promise<void> {
    this.syncTimer = null;
    if (this.syncing || this.unsynced === 0) return;
    this.syncing = true;
    const covered = this.unsynced;
    let retryMs = SYNC_DELAY_MS;
    try {
      await this.syncFile(this.path);
      this.unsynced -= covered;
    } catch (err) {
      // The file was written (crash-safe); the disk refused to make it durable: said like a failed write,
      // and tried again a second later (never a spin).
      retryMs = JOURNAL_RETRY_MS;
      if (this.persistence) this.persistence.failed("journal", this.path, err);
      else this.log("error", "journal fsync failed", { path: this.path, error: (err as Error).message });
    } finally {
      this.syncing = false;
      if (this.unsynced > 0 && !this.src.stopped) this.scheduleSync(retryMs);
    }
  }

  private scheduleSync(delayMs = SYNC_DELAY_MS): void {
    if (this.syncTimer || this.syncing) return;
    this.syncTimer = this.after(delayMs, this.syncBound);
  }

  private write(durable = false): void {
    const s = this.src;
    const comps: JournalComponent[] = [];
    for (const e of s.entries()) {
      const owned = s.sup.owns(e.name);
      comps.push({
        name: e.name, active: e.active, quarantined: s.quarantinedOf(e.name), restarts: e.restarts,
        pid: owned ? s.sup.pidOf(e.name) : 0, startTime: owned ? s.sup.startTimeOf(e.name) : 0,
        kind: e.kind, plane: e.plane, up: e.state === "up" || (e.state === "starting" && e.readyByMs !== Infinity), restarting: e.expectGone,
        ...(e.state === "stopped" ? { stopped: true } : {}),
        ...(e.held ? { held: true } : {}),
      });
    }
    try {
      saveJournal(this.path, s.engine, comps, s.seqCeiling(), durable);
      this.persistence?.ok("journal");
      if (!durable) {
        this.unsynced++;
        this.scheduleSync();
      } else this.unsynced = 0;
    } catch (err) {
      if (!s.stopped) this.after(JOURNAL_RETRY_MS, () => this.mark());
      if (this.persistence) this.persistence.failed("journal", this.path, err);
      else this.log("error", "journal write failed", { path: this.path, error: (err as Error).message });
    }
  }
}
