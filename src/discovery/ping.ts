/**
 * The guardian's probes: does a monitor answer (hello/welcome and a ping
 * within a deadline), and who holds the lock. Plus starting a monitor as a
 * detached process that outlives the guardian.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { Session } from "../library/session.ts";
import { selfArgv } from "../sys/self.ts";
import { isLocked, lockPathFor, readHolder, type Holder } from "./lock.ts";
import { realProcesses } from "../process/control.ts";
import { escalateStop, goneWhen } from "../process/stop.ts";

/** One protocol round trip: true when a monitor is there and its loop turns. */
export async function answers(socket: string, timeoutMs: number): Promise<boolean> {
  let s: Session | null = null;
  try {
    s = await Session.open(socket, { role: "client", timeoutMs, agent: "hamon-discovery" });
    await s.request({ type: "command", id: s.nextId(), verb: "ping", target: "", kind: "" }, timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    s?.close();
  }
}

export function lockState(socket: string): { locked: boolean; holder: Holder | null } {
  const path = lockPathFor(socket);
  const locked = isLocked(path);
  return { locked, holder: locked ? readHolder(path) : null };
}

/**
 * Stops a lock holder through the one escalation (process/stop.ts):
 * SIGTERM and SIGCONT (a stopped monitor then writes its journal and goes),
 * SIGKILL after `termMs`; only while it is still the same process. True once
 * the kernel dropped its lock within `termMs` + `waitMs`.
 */
/** A hung monitor gets this long to act on SIGTERM (it may only have been stopped: woken, it writes its journal) before SIGKILL. */
export const HUNG_TERM_MS = 1_000;

export async function stopHolder(socket: string, h: Holder, termMs: number, waitMs = 2_000): Promise<boolean> {
  const released = goneWhen(() => !lockState(socket).locked, 5);
  await escalateStop(realProcesses, { pid: h.pid, startTime: h.startTime, group: null }, termMs, released);
  return Promise.race([released.then(() => true), Bun.sleep(waitMs).then(() => !lockState(socket).locked)]);
}

export interface Started {
  readonly pid: number;
  /** Exit status once it has exited (75: another monitor won the lock), else null. */
  exitCode(): number | null;
}

/** Starts `hamon <argv>` in its own session, output appended to monitor.log beside the socket. */
export function startDetached(socket: string, argv: readonly string[]): Started {
  mkdirSync(dirname(socket), { recursive: true, mode: 0o750 });
  const logFd = openSync(join(dirname(socket), "monitor.log"), "a", 0o640);
  try {
    const child = realProcesses.spawn([...selfArgv(), ...argv], { output: logFd });
    child.unref();
    let code: number | null = null;
    void child.exited.then((s) => (code = s.status));
    return { pid: child.pid, exitCode: () => code };
  } finally {
    closeSync(logFd); // the child has its own copy
  }
}
