/**
 * Process identity from /proc, immune to PID reuse: a pid plus its start time
 * (field 22 of /proc/PID/stat, in clock ticks since boot) names one process
 * for its whole life. `kill(pid, 0)` alone calls zombies and recycled pids alive.
 */
import { procBytes, readProc, readProcText } from "./proc-file.ts";
import { kernelBoottimeMs } from "./libc.ts";
import { gone, parseStat, STAT_FIELDS } from "./stat-fields.ts";

/** How long ago a process started, from its start time in clock ticks since boot (/proc/PID/stat field 22; USER_HZ is 100 on Linux): no file read. */
export function processAgeMs(startTicks: number): number {
  return Math.max(0, Math.round(kernelBoottimeMs() - startTicks * 10));
}

/** What /proc/PID/stat says of a live process: its parent, its process group, its session and its start time. */
export interface ProcStat {
  ppid: number;
  pgrp: number;
  session: number;
  startTime: number;
}

const statFields = new Float64Array(STAT_FIELDS + 1); // by field number (stat-fields.ts)

/** Reads `pid`'s stat into statFields (through the shared /proc buffer, proc-file.ts): false when it does not exist or cannot be parsed. */
function readStat(pid: number): boolean {
  const n = readProc(`/proc/${pid}/stat`);
  return n > 0 && parseStat(procBytes(), n, statFields);
}

/** The same, and the process still running (not a zombie). */
function readLiveStat(pid: number): boolean {
  return readStat(pid) && !gone(statFields[3]!);
}

/** Parent pid, group, session and start time of `pid`, or null when it does not exist (or is a zombie). */
export function processStat(pid: number): ProcStat | null {
  if (!readLiveStat(pid)) return null;
  const ppid = statFields[4]!, pgrp = statFields[5]!, session = statFields[6]!, startTime = statFields[22]!;
  return Number.isFinite(startTime) && Number.isFinite(ppid) && Number.isFinite(pgrp) && Number.isFinite(session) ? { ppid, pgrp, session, startTime } : null;
}

/** Start time of `pid` in clock ticks since boot, or null when it does not exist (or is a zombie): no object made. */
export function processStartTime(pid: number): number | null {
  if (!readLiveStat(pid)) return null;
  const t = statFields[22]!;
  return Number.isFinite(t) ? t : null;
}

/** Real and effective uid of `pid` (the Uid: line of /proc/PID/status), or null when it is gone. */
export function processUids(pid: number): { real: number; effective: number } | null {
  const status = readProcText(`/proc/${pid}/status`);
  const m = status === null ? null : /\nUid:\s+(\d+)\s+(\d+)/.exec(status);
  return m ? { real: Number(m[1]), effective: Number(m[2]) } : null;
}

/** CPU time `pid` used so far, user + system, in clock ticks (fields 14 and 15 of /proc/PID/stat); 0 when gone. */
export function processCpuTicks(pid: number): number {
  return readStat(pid) ? statFields[14]! + statFields[15]! : 0;
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
