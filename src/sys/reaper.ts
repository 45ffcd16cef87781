/**
 * The monitor as child subreaper (prctl PR_SET_CHILD_SUBREAPER): a forking
 * daemon's process, orphaned when its launcher exits, becomes the monitor's
 * child instead of init's. That is how a pid read from a pid file is proven
 * to be the component's own (it descends from us), and how its death is seen
 * without waiting for PID 1 to reap it.
 *
 * Bun collects only the children it spawned (one waiter per pid; it never
 * calls waitpid(-1)), so the orphans that now come to us are ours to collect:
 * `reapChild` for one we watch, `sweepOrphans` for the rest (a daemon's
 * double-forked helpers), never a pid Bun spawned (its waiter would then
 * lose the exit status).
 */
import { readdirSync } from "node:fs";
import { procBytes, readProc } from "./proc-file.ts";
import { libc, ptr } from "./libc.ts";
import { isDigit, uintAt } from "./digits.ts";

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

const spawned = new Set<number>();
const status = new Int32Array(1);

/** Makes this process the reaper of its descendants' orphans; false when the kernel refused. */
export function becomeSubreaper(): boolean {
  return libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) === 0;
}

/** A pid Bun.spawn started (its own waiter collects it). */
export function noteChild(pid: number): void {
  spawned.add(pid);
}

/** True while `pid` is a child Bun.spawn started and has not yet collected. */
export function isSpawned(pid: number): boolean {
  return spawned.has(pid);
}

export function forgetChild(pid: number): void {
  spawned.delete(pid);
}

/** Collects `pid` if it is a dead child Bun did not spawn; true when it was collected. */
export function reapChild(pid: number): boolean {
  if (pid <= 0 || spawned.has(pid)) return false;
  return libc.symbols.waitpid(pid, ptr(status), WNOHANG) === pid;
}

/** Children of this process now (every thread's /proc children list: a reparented orphan is listed under one of them). */
export function childPids(): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const t of tasks) {
    const n = readProc(`/proc/self/task/${t}/children`);
    const listBuf = procBytes();
    // "pid pid pid " (each followed by a space).
    for (let i = 0; i < n; i++) {
      if (!isDigit(listBuf[i]!)) continue;
      out.push(uintAt(listBuf, i, n));
      while (i < n && isDigit(listBuf[i]!)) i++;
    }
  }
  return out;
}

/** Collects every dead orphan that came to us (not a pid Bun spawned); returns how many. */
export function sweepOrphans(): number {
  let n = 0;
  for (const pid of childPids()) if (reapChild(pid)) n++;
  return n;
}
