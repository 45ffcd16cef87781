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
import { slotOfId, type CheckSink, type CheckTable } from "./checks.ts";
import type { Entry } from "./registry.ts";

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
  private readonly resources = new ResourceChecks();

  constructor(private readonly d: PlainDeps) {}

  /** Runs a probe, exec or resource check for query `id`; its result is a sample like a reply. */
  run(e: Entry, run: CheckRun, id: number, timeoutMs: number): void {
    if ("resource" in run) {
      // Sampled here and now (a few /proc reads into buffers made once); never what makes a daemon ready.
      const r = this.resources.check(run, e.pid, this.d.now());
      return this.ran(e, id, r.health, r.detail, 0, false);
    }
    this.runner.start(run, timeoutMs, (health, detail, lateMs) => this.ran(e, id, health, detail, lateMs), runAs(e));
  }

  /**
   * A probe or exec check finished: a sample like a reply; the first pass
   * makes a `ready = "probe"` daemon ready. A failure that came well past its
   * own deadline proves nothing (the monitor or the machine stalled: the
   * daemon may not have had its time): no sample, asked again, and the stall
   * said as the loop's own would be (the starvation guard covers every check).
   */
  private ran(e: Entry, id: number, health: Health, detail: string, lateMs: number, readies = true): void {
    const now = this.d.now();
    if (health === "failed" && lateMs > STALE_AFTER_MS) {
      if (this.d.checks.recheckQuery(id, now)) this.d.starved(lateMs);
      return this.d.reschedule(now);
    }
    if (!this.d.checks.reply(id, health !== "failed", detail, now, this.d.sink)) return; // too late: the check already failed
    this.d.answer(e, health, detail);
    if (!readies || e.state !== "starting" || e.declared?.ready !== "probe" || e.expectGone) return;
    if (health !== "failed") this.d.ready(e, now, "its probe passed");
    else {
      this.d.checks.retrySoon(slotOfId(id), READY_RETRY_MS, now);
      this.d.reschedule(now);
    }
  }
}
