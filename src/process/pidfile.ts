/**
 * The one pid-file reader. A pid file is written by the daemon's user, who
 * may write its own pid-file directory: what it names is a claim, and a root
 * monitor that believed it would signal whatever process the claim names
 * (pid 1, the monitor itself, a root shell). So, as systemd's PIDFile= does:
 *
 * - the file is read bounded, without following a link, without blocking,
 *   on the descriptor it opened (sys/safe-file.ts);
 * - the pid is never 1 and never the monitor;
 * - with `uid`, every uid of the process (real and effective) is that user's;
 * - with `launcher`, the process descends from the launcher hamon spawned: its
 *   chain of parents reaches the launcher, or reaches the monitor through an
 *   orphan that is not one of the monitor's own spawned children (the monitor
 *   is child subreaper, sys/reaper.ts: a forking daemon's orphaned process is
 *   reparented to it, not to init);
 * - with `startedAfter`, it started no earlier than the launcher (a stale
 *   file from an earlier run names an older process).
 */
import { realProcesses, type ProcessControl } from "./control.ts";
import { isSpawned } from "../sys/reaper.ts";
import { readSmallFile } from "../sys/safe-file.ts";

/** A pid file holds a pid and a newline: anything longer is not one. */
export const PIDFILE_MAX_BYTES = 64;
/** How many parents are followed looking for the launcher (a daemon double-forks: 2 or 3 are enough). */
const MAX_ANCESTRY = 32;

export interface PidRules {
  /** The process hamon spawned to start the daemon; null: no descent required (attach mode). */
  readonly launcher?: { pid: number; startTime: number } | null;
  /** The start time the process may not precede (clock ticks since boot). */
  readonly startedAfter?: number;
  /** The uid the process must run as; null or absent: any. */
  readonly uid?: number | null;
  /** Pids this monitor spawned itself (its other daemons, checks, hooks): never an orphan of the launcher. */
  readonly spawnedByUs?: (pid: number) => boolean;
}

export type PidfileResult = { pid: number; startTime: number; pgrp: number } | { why: string };

/** The live process a pid file names, if it is provably the component's own; else why not. */
export function readPidfile(path: string, pc: ProcessControl = realProcesses, rules: PidRules = {}): PidfileResult {
  const f = readSmallFile(path, PIDFILE_MAX_BYTES);
  if (!f.ok) return { why: `pidfile ${path} ${f.code === "ENOENT" ? "does not exist" : f.why}` };
  const m = /^\s*([1-9][0-9]{0,9})\s*$/.exec(f.text);
  if (!m) return { why: `pidfile ${path} does not hold a pid` };
  const pid = Number(m[1]);
  if (pid === 1) return { why: `pidfile ${path} names pid 1 (refused)` };
  if (pid === process.pid) return { why: `pidfile ${path} names the monitor itself (refused)` };
  const st = pc.stat(pid);
  if (st === null) return { why: `pidfile ${path} names pid ${pid}, which is not running` };
  if (rules.startedAfter !== undefined && st.startTime < rules.startedAfter) return { why: `pidfile ${path} names pid ${pid}, older than its launcher (stale)` };
  if (rules.uid !== undefined && rules.uid !== null) {
    const u = pc.uids(pid);
    if (u === null || u.real !== rules.uid || u.effective !== rules.uid) return { why: `pidfile ${path} names pid ${pid}, which does not run as the component's user (refused)` };
  }
  if (rules.launcher && !descends(pc, pid, rules.launcher, rules.spawnedByUs ?? isSpawned)) {
    return { why: `pidfile ${path} names pid ${pid}, which does not descend from its launcher (refused)` };
  }
  return { pid, startTime: st.startTime, pgrp: st.pgrp };
}

/**
 * Descends from the launcher: the chain of parents reaches it, or reaches the
 * monitor through an orphan that is not a child the monitor spawned itself
 * and is no older than the launcher (the launcher exited; as child subreaper,
 * the monitor adopted what it left).
 */
function descends(pc: ProcessControl, pid: number, launcher: { pid: number; startTime: number }, spawnedByUs: (pid: number) => boolean): boolean {
  const top = walkUp(pc, pid, launcher.pid);
  if (top === null) return false;
  if (top.pid === launcher.pid) return top.startTime === launcher.startTime;
  return top.ppid === process.pid && !spawnedByUs(top.pid) && top.startTime >= launcher.startTime;
}

/**
 * Follows `pid`'s parents until `stopAt` or a direct child of the monitor
 * (a few generations at most); that process, with its start time and parent,
 * or null when the chain ends elsewhere (init, a process gone).
 */
function walkUp(pc: ProcessControl, pid: number, stopAt: number): { pid: number; ppid: number; startTime: number } | null {
  let cur = pid;
  for (let hops = 0; hops < MAX_ANCESTRY && cur > 1; hops++) {
    const st = pc.stat(cur);
    if (st === null) return null;
    if (cur === stopAt || st.ppid === process.pid) return { pid: cur, ppid: st.ppid, startTime: st.startTime };
    cur = st.ppid;
  }
  return null;
}

/** True when `pid` is `ancestor` (pid and start time) or one of its descendants (a few generations). */
export function descendsFrom(pc: ProcessControl, pid: number, ancestor: { pid: number; startTime: number }): boolean {
  const top = walkUp(pc, pid, ancestor.pid);
  return top !== null && top.pid === ancestor.pid && top.startTime === ancestor.startTime;
}
