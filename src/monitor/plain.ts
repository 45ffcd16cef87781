/**
 * The checks of plain daemons (the ones hamon starts that link no library):
 * probe and exec checks the monitor runs itself (probes/runner.ts), their
 * results answered into the check table as a reply would be. A starting
 * `ready = "probe"` daemon becomes ready on its first pass (through the life
 * room); until then a failed probe is retried soon, not a period later.
 */
import type { CheckRun } from "../config/config.ts";
import { CheckRunner, STALE_AFTER_MS } from "../probes/runner.ts";
import { ResourceChecks } from "../probes/resource.ts";
import type { RunAs } from "../probes/exec.ts";
import type { Health } from "../protocol/messages.ts";
import { gidOf, primaryGidOf, uidOf, userEntry } from "../sys/accounts.ts";
import { MAX_SLOTS, slotOfId, type CheckSink, type CheckTable } from "./checks.ts";
import type { Entry } from "./registry.ts";

/** A timeout in a stall is voided (checked again, not counted) at most this many times in a row. */
export const VOIDS_IN_A_ROW = 3;
/** A starting `ready = "probe"` daemon whose probe failed is probed again after this (plus the coalescing window), not a period later. */
export const READY_RETRY_MS = 50;

export interface PlainDeps {
  readonly checks: CheckTable;
  /** Where check samples go (the intake). */
  readonly sink: CheckSink;
  now(): number;
  /** A probe or exec check's answer, seen as a reply's would be (the intake). */
  answer(e: Entry, health: Health, detail: string): void;
  /** The daemon is ready (the life room). */
  ready(e: Entry, now: number, why: string): void;
  reschedule(now: number): void;
  /** The monitor (or the machine) was stalled `lateMs` past a check's deadline (recovery.ts: uncertain failures are re-checked meanwhile). */
  starved(lateMs: number): void;
}

/** A daemon's exec checks run as its user (uid, primary group or `group`, a clean environment), as it does; root's only for a root daemon. */
function runAs(e: Entry): RunAs | null {
  const d = e.declared;
  if (!d || d.user === null) return null;
  const uid = uidOf(d.user);
  const gid = d.group !== null ? gidOf(d.group) : primaryGidOf(d.user);
  const who = userEntry(d.user);
  return uid === null || gid === null || who === null ? null : { uid, gid, ...who };
}

export class PlainChecks {
  private readonly runner = new CheckRunner();
  /** Per check slot: failures voided in a row (a stall). */
  private readonly voids = new Uint8Array(MAX_SLOTS);
  private readonly resources = new ResourceChecks();

  constructor(private readonly d: PlainDeps) {}

  /** Runs a probe, exec or resource check for query `id`; its result is a sample like a reply. */
  run(e: Entry, run: CheckRun, id: number, timeoutMs: number): void {
    if ("resource" in run) {
      // Sampled here and now (a few /proc reads into buffers made once); never what makes a daemon ready.
      const r = this.resources.check(run, e.pid, this.d.now());
      return this.ran(e, id, r.health, r.detail, 0, false, false);
    }
    // A stall of half its window (at most the loop's own threshold) leaves the daemon too little time to answer.
    const staleMs = Math.min(STALE_AFTER_MS, timeoutMs / 2);
    this.runner.start(run, timeoutMs, (health, detail, lostMs, silent) => this.ran(e, id, health, detail, lostMs > staleMs ? lostMs : 0, silent), runAs(e));
  }

  /**
   * A probe or exec check finished: a sample like a reply; the first pass
   * makes a `ready = "probe"` daemon ready. A timeout whose window the
   * monitor or the machine lost (it came well past its deadline, or runnable
   * tasks waited for a CPU for half of it: PSI) proves nothing: the daemon may
   * not have had its time. No sample, asked again, the stall said as the
   * loop's own would be (the starvation guard covers every check).
   */
  private ran(e: Entry, id: number, health: Health, detail: string, staleMs: number, silent: boolean, readies = true): void {
    const now = this.d.now();
    const slot = slotOfId(id);
    // At most VOIDS_IN_A_ROW in a row: a machine loaded for good must not hide a hung daemon for ever.
    if (health === "failed" && staleMs > 0 && this.voids[slot]! < VOIDS_IN_A_ROW) {
      if (this.d.checks.recheckQuery(id, now)) {
        this.voids[slot]!++;
        this.d.starved(staleMs);
      }
      return this.d.reschedule(now);
    }
    this.voids[slot] = 0;
    if (!this.d.checks.reply(id, health !== "failed", detail, now, this.d.sink, silent)) return; // too late: the check already failed
    this.d.answer(e, health, detail);
    if (!readies || e.state !== "starting" || e.declared?.ready !== "probe" || e.expectGone) return;
    if (health !== "failed") this.d.ready(e, now, "its probe passed");
    else {
      this.d.checks.retrySoon(slotOfId(id), READY_RETRY_MS, now);
      this.d.reschedule(now);
    }
  }
}
