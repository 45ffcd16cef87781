/**
 * Process identity from /proc, immune to PID reuse: a pid plus its start time
 * (field 22 of /proc/PID/stat, in clock ticks since boot) names one process
 * for its whole life. `kill(pid, 0)` alone calls zombies and recycled pids alive.
 */
import { readFileSync } from "node:fs";

/** Start time of `pid` in clock ticks since boot, or null when it does not exist. */
export function processStartTime(pid: number): number | null {
  return processStat(pid)?.startTime ?? null;
}

/** Parent pid and start time of `pid`, or null when it does not exist (or is a zombie). */
export function processStat(pid: number): { ppid: number; startTime: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and ')': parse after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), rest[1] field 4 (ppid); field 22 (starttime) is rest[19].
  if (rest[0] === "Z" || rest[0] === "X") return null;
  const ppid = Number(rest[1]);
  const startTime = Number(rest[19]);
  return Number.isFinite(startTime) && Number.isFinite(ppid) ? { ppid, startTime } : null;
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
