/**
 * The one stop escalation, for every process hamon stops: an owned daemon
 * (supervisor.ts), the sidecar's daemon (sidecar-daemon.ts), a monitor the
 * OCF agent or discovery stops (a lock holder).
 *
 * SIGTERM, then SIGCONT at once (a stopped process acts on no signal but
 * SIGKILL until it runs again: woken, it finds SIGTERM pending and stops
 * cleanly, with no window in which it runs without it), then SIGKILL at the
 * deadline. Every signal goes through signalIdentified (identity read just
 * before it). `gone` settles when the process is gone, however the caller
 * sees that (its exit, a lock released).
 *
 * @example
 *   const how = await escalateStop(pc, ref, 3_000, child.exited); // "stopped" | "killed" | "still running"
 */
import { signalIdentified, type ProcessControl, type ProcRef } from "./control.ts";

/** After SIGKILL, how long `gone` gets before the stop is reported "still running" (a process in uninterruptible sleep). */
export const AFTER_KILL_MS = 1_000;

export type StopOutcome = "stopped" | "killed" | "still running";

/** `sleep`: how the deadline is waited for (the monitor passes its loop's clock, so a fake clock drives it in tests). */
export async function escalateStop(pc: ProcessControl, ref: ProcRef, timeoutMs: number, gone: Promise<unknown>, first: NodeJS.Signals = "SIGTERM", sleep: (ms: number) => Promise<void> = (ms) => Bun.sleep(ms)): Promise<StopOutcome> {
  const settled = gone.then(() => true);
  signalIdentified(pc, ref, first);
  if (first !== "SIGKILL") signalIdentified(pc, ref, "SIGCONT");
  if (await Promise.race([settled, sleep(timeoutMs).then(() => false)])) return first === "SIGKILL" ? "killed" : "stopped";
  signalIdentified(pc, ref, "SIGKILL");
  return (await Promise.race([settled, sleep(AFTER_KILL_MS).then(() => false)])) ? "killed" : "still running";
}

/** A promise that settles once `check()` says the process is gone, polled every `everyMs` (a lock released, a pid gone). */
export function goneWhen(check: () => boolean, everyMs = 20): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (!check()) return;
      clearInterval(t);
      resolve();
    }, everyMs);
    t.unref?.();
  });
}
