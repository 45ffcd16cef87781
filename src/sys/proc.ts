/**
 * Process identity from /proc, immune to PID reuse: a pid plus its start time
 * (field 22 of /proc/PID/stat, in clock ticks since boot) names one process
 * for its whole life. `kill(pid, 0)` alone calls zombies and recycled pids alive.
 */
import { readFileSync } from "node:fs";
import { kernelBoottimeMs } from "./libc.ts";

/** Start time of `pid` in clock ticks since boot, or null when it does not exist. */
/** How long ago a process started, from its start time in clock ticks since boot (/proc/PID/stat field 22; USER_HZ is 100 on Linux): no file read. */
export function processAgeMs(startTicks: number): number {
  return Math.max(0, Math.round(kernelBoottimeMs() - startTicks * 10));
}

export function processStartTime(pid: number): number | null {
  return processStat(pid)?.startTime ?? null;
}

/** What /proc/PID/stat says of a live process: its parent, its process group, its session and its start time. */
export interface ProcStat {
  ppid: number;
  pgrp: number;
  session: number;
  startTime: number;
}

/** Parent pid, group, session and start time of `pid`, or null when it does not exist (or is a zombie). */
export function processStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and ')': parse after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), rest[1] field 4 (ppid), rest[2] field 5 (pgrp), rest[3] field 6 (session); field 22 (starttime) is rest[19].
  if (rest[0] === "Z" || rest[0] === "X") return null;
  const ppid = Number(rest[1]);
  const pgrp = Number(rest[2]);
  const session = Number(rest[3]);
  const startTime = Number(rest[19]);
  return Number.isFinite(startTime) && Number.isFinite(ppid) && Number.isFinite(pgrp) && Number.isFinite(session) ? { ppid, pgrp, session, startTime } : null;
}

/** Real and effective uid of `pid` (the Uid: line of /proc/PID/status), or null when it is gone. */
export function processUids(pid: number): { real: number; effective: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const m = /\nUid:\s+(\d+)\s+(\d+)/.exec(status);
  return m ? { real: Number(m[1]), effective: Number(m[2]) } : null;
}

/** CPU time `pid` used so far, user + system, in clock ticks (fields 14 and 15 of /proc/PID/stat); 0 when gone. */
export function processCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** True while the process that had `startTime` when first seen is still running. */
export function sameProcessAlive(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

/**
 * Cheap liveness (kill 0): no allocation while the process exists. Zombies
 * and recycled pids pass it, so pair it with sameProcessAlive now and then.
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
