/**
 * Pid files in a daemon's life: a forking daemon is ready once its pid file
 * names a process that provably descends from the launcher hamon started
 * (`awaitPidfile`), and an attached daemon (a pid file, no start: someone
 * else's) is followed to its next instance after a death (`followPidfiles`).
 * Both read through the one pid-file reader (process/pidfile.ts) and change
 * the component's standing through the life room (life.ts).
 */
import type { MonitorConfig } from "../config/config.ts";
import type { EngineEvent } from "../engine/decide.ts";
import type { LifeEvent } from "../engine/lifecycle.ts";
import type { Logger } from "../log.ts";
import type { ProcessControl } from "../process/control.ts";
import { readPidfile } from "../process/pidfile.ts";
import type { Supervisor } from "../process/supervisor.ts";
import { componentUid } from "../sys/accounts.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { After } from "./loop.ts";
import type { Entry, Registry } from "./registry.ts";

/** A forking daemon's pid file is looked at this often until it names the daemon. */
export const PIDFILE_POLL_MS = 20;

export interface PidfileDeps {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly sup: Supervisor;
  readonly control: ProcessControl;
  readonly log: Logger;
  readonly after: After;
  now(): number;
  emit(ev: MonitorEvent): void;
  feed(ev: EngineEvent): void;
  readonly journal: { flush(force?: boolean): void };
  stopping(): boolean;
}

/** The life room's operations used here (life.ts). */
interface LifeOps {
  apply(e: Entry, ev: LifeEvent, now?: number): void;
  armChecks(e: Entry, now: number): void;
  ready(e: Entry, now: number, why: string): void;
}

/**
 * Waits for a forking daemon's pid file to name a live process started after
 * its launcher (not a stale file from an earlier run), then watches that
 * process by pid and start time. Polled every PIDFILE_POLL_MS while the
 * component is still starting; its ready_timeout_ms decides if it never comes.
 */
export function awaitPidfile(d: PidfileDeps, life: LifeOps, e: Entry, path: string, launcher: { pid: number; startTime: number }): void {
  let said = "";
  const poll = () => {
    if (d.stopping() || e.state !== "starting" || e.expectGone) return;
    const r = readPidfile(path, d.control, { launcher, startedAfter: launcher.startTime, uid: e.declared ? componentUid(e.declared) : null });
    // Signalled with a group only if it stayed in the one hamon created for its launcher.
    if ("pid" in r && d.sup.adopt(e.name, r.pid, r.startTime, true, r.pgrp === launcher.pid ? launcher.pid : null)) {
      const now = d.now();
      life.apply(e, { type: "adopted", pid: r.pid }, now);
      life.armChecks(e, now);
      life.ready(e, now, `pid file names pid ${r.pid}`);
      d.journal.flush(true); // its pid on disk: a monitor killed next adopts it
      return;
    }
    // A refusal is said once (in its status reason and the log), not every poll: "does not exist" is just not yet.
    if ("why" in r && r.why !== said && !r.why.endsWith("does not exist")) {
      said = r.why;
      life.apply(e, { type: "note", reason: `starting; ${r.why}` });
      d.log("warn", "pid file refused", { component: e.name, why: r.why });
    }
    d.after(PIDFILE_POLL_MS, poll);
  };
  poll();
}

/** A component whose pid file is followed after a death (attach mode), not only read once for readiness. */
const followed = (c: MonitorConfig["components"][number]) => c.pidfile !== null && c.ready !== "pidfile";
let memo: { of: MonitorConfig["components"] | null; any: boolean } = { of: null, any: false };
/** Whether `followPidfiles` has anything to follow: worked out once per component list (a reload assigns a new one), not per turn. */
export function followsAnyPidfile(list: MonitorConfig["components"]): boolean {
  if (memo.of !== list) memo = { of: list, any: list.some(followed) };
  return memo.any;
}

/**
 * Attach mode (a pid file, no start): the daemon is someone else's, and its
 * own supervisor may start a new instance after a death. Re-read the file
 * and follow it (under the same rules as at start).
 */
export function followPidfiles(d: PidfileDeps, life: LifeOps, now: number): void {
  for (const c of d.config.components) {
    if (!c.pidfile || !followed(c) || d.sup.alive(c.name)) continue;
    const e = d.registry.get(c.name);
    if (!e || !e.active) continue;
    const r = d.sup.attachPidfile(c.name, c.pidfile, { uid: componentUid(c) });
    if (!r.ok) continue;
    life.apply(e, { type: "adopted", pid: r.pid }, now);
    d.emit({ component: c.name, event: "attached", level: "", reason: `pid ${r.pid} (from ${c.pidfile})` });
    life.apply(e, { type: "present", reason: `attached to pid ${r.pid}` }, now);
    d.feed({ type: "healthy", component: c.name });
  }
}
