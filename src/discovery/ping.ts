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
import { realProcesses, signalIdentified } from "../process/control.ts";

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

/** SIGKILLs a hung lock holder (only if it is still the same process) and waits for the kernel to drop its lock. */
export async function killHolder(socket: string, h: Holder, waitMs = 2_000): Promise<boolean> {
  signalIdentified(realProcesses, { pid: h.pid, startTime: h.startTime, group: null }, "SIGKILL");
  for (const t0 = performance.now(); performance.now() - t0 < waitMs; await Bun.sleep(5)) {
    if (!lockState(socket).locked) return true;
  }
  return false;
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
