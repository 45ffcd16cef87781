/**
 * Plain daemons: the ones hamon starts that link no library (`ready =
 * "started" | "probe" | "pidfile"`). Their checks are run by the monitor
 * itself (probe and exec, through probes/runner.ts) and answered into the
 * check table as a reply would be; they become ready without registering;
 * a forking one is found through its pid file; one with `after` waits for
 * what it starts after. Takes a narrow view of the core (context.ts).
 */
import type { CheckRun } from "../config/config.ts";
import { CheckRunner } from "../probes/runner.ts";
import { readPidfile } from "../process/pidfile.ts";
import type { Health } from "../protocol/messages.ts";
import type { PlainContext } from "./context.ts";
import type { Entry } from "./registry.ts";
import { componentUid, gidOf, primaryGidOf, uidOf, userEntry } from "../sys/accounts.ts";
import type { RunAs } from "../probes/exec.ts";
import { slotOfId } from "./checks.ts";

/** A forking daemon's pid file is looked at this often until it names the daemon. */
export const PIDFILE_POLL_MS = 20;
/** A starting `ready = "probe"` daemon whose probe failed is probed again after this (plus the coalescing window), not a period later. */
export const READY_RETRY_MS = 50;

/** A daemon's exec checks run as its user (uid, primary group or `group`, a clean environment), as it does; root's only for a root daemon. */
function runAs(e: Entry): RunAs | null {
  const d = e.declared;
  if (!d || d.user === null) return null;
  const uid = uidOf(d.user);
  const gid = d.group !== null ? gidOf(d.group) : primaryGidOf(d.user);
  const who = userEntry(d.user);
  return uid === null || gid === null || who === null ? null : { uid, gid, ...who };
}

export class PlainDaemons {
  private readonly runner = new CheckRunner();
  /** Components held back by `after`, with why they were to start. */
  private readonly heldBack = new Map<string, string>();

  constructor(private readonly c: PlainContext) {}

  /** Runs a probe or exec check for query `id`; its result is a sample like a reply. */
  runCheck(e: Entry, run: CheckRun, id: number, timeoutMs: number): void {
    this.runner.start(run, timeoutMs, (health, detail) => this.ran(e, id, health, detail), runAs(e));
  }

  /** A probe or exec check finished: a sample like a reply; the first pass makes a `ready = "probe"` daemon ready. */
  private ran(e: Entry, id: number, health: Health, detail: string): void {
    const now = this.c.now();
    if (!this.c.checks.reply(id, health !== "failed", detail, now, this.c.sink)) return; // too late: the check already failed
    this.c.answer(e, health, detail);
    if (e.state !== "starting" || e.declared?.ready !== "probe" || e.expectGone) return;
    if (health !== "failed") this.becameReady(e, now, "its probe passed");
    else {
      this.c.checks.retrySoon(slotOfId(id), READY_RETRY_MS, now);
      this.c.reschedule(now);
    }
  }

  /** A plain daemon (ready = started | probe) is watched by the checks the monitor runs itself, armed at its start. */
  armChecks(e: Entry, now: number): void {
    this.c.dropChecks(e);
    for (const c of e.declared?.checks ?? []) if (c.run) e.slots.push(this.c.checks.add(e.index, c, now));
    this.c.reschedule(now);
  }

  /**
   * Waits for a forking daemon's pid file to name a live process started after
   * its launcher (not a stale file from an earlier run), then watches that
   * process by pid and start time. Polled every PIDFILE_POLL_MS while the
   * component is still starting; its ready_timeout_ms decides if it never comes.
   */
  awaitPidfile(e: Entry, path: string, launcher: { pid: number; startTime: number }): void {
    let said = "";
    const poll = () => {
      if (this.c.stopping || e.state !== "starting" || e.expectGone) return;
      const r = readPidfile(path, this.c.control, { launcher, startedAfter: launcher.startTime, uid: e.declared ? componentUid(e.declared) : null });
      // Signalled with a group only if it stayed in the one hamon created for its launcher.
      if ("pid" in r && this.c.sup.adopt(e.name, r.pid, r.startTime, true, r.pgrp === launcher.pid ? launcher.pid : null)) {
        const now = this.c.now();
        e.pid = r.pid;
        this.armChecks(e, now);
        this.becameReady(e, now, `pid file names pid ${r.pid}`);
        this.c.flushJournal(true); // its pid on disk: a monitor killed next adopts it
        this.c.reschedule(now);
        return;
      }
      // A refusal is said once (in its status reason and the log), not every poll: "does not exist" is just not yet.
      if ("why" in r && r.why !== said && !r.why.endsWith("does not exist")) {
        said = r.why;
        this.c.life(e, { type: "note", reason: `starting; ${r.why}` });
        this.c.log("warn", "pid file refused", { component: e.name, why: r.why });
      }
      this.c.after(PIDFILE_POLL_MS, poll);
    };
    poll();
  }

  holdBack(e: Entry, why: string, missing: readonly string[]): void {
    this.heldBack.set(e.name, why);
    // A dynamic component that is not activated will not come by itself: say so, or the wait looks like a hang.
    const named = missing.map((n) => (this.c.registry.get(n)?.active === false ? `${n} (dynamic, not activated: it starts once ${n} is activated)` : n));
    this.c.life(e, { type: "waiting", reason: `waiting for ${named.join(", ")} to be ready (${why})` });
  }

  /** Something became ready: start what was waiting for it (and only for it or others already up). */
  releaseHeldBack(): void {
    if (this.heldBack.size === 0) return;
    for (const [name, why] of [...this.heldBack]) {
      const e = this.c.registry.get(name);
      if (!e || !e.active) {
        this.heldBack.delete(name);
        continue;
      }
      if ((e.declared?.after ?? []).every((n) => this.c.registry.get(n)?.state === "up")) {
        this.heldBack.delete(name);
        this.c.effects.spawn(e, why);
      }
    }
  }

  /** A daemon that does not register became ready: `ready`, the startup latency, healthy. */
  becameReady(e: Entry, now: number, why: string): void {
    this.c.life(e, { type: "present", reason: "" }, now);
    e.lastSeenMs = now;
    e.registrations++;
    if (e.startedAtMs >= 0) {
      this.c.emit({ component: e.name, event: "ready", level: "", reason: `${why} ${Math.round(now - e.startedAtMs)} ms after start` });
      e.startedAtMs = -1;
    }
    this.c.feed({ type: "healthy", component: e.name });
    this.c.arrived(e.name, now);
    this.c.markJournal();
    this.releaseHeldBack();
  }
}
