/**
 * `discovery --once`, what cron kicks: observe, plan, act once, and say what
 * was done (the command maps the outcome to a documented exit status).
 *
 * Two guardians racing both see "nobody holds the lock" and both start a
 * monitor; the loser's monitor exits 75 at once (lock held), and its
 * guardian reports "running" (someone else started it), not "started".
 */
import type { OnceOutcome } from "../render/once.ts";
import { EXIT } from "../protocol/exit.ts";
import { plan } from "./plan.ts";
import { answers, HUNG_TERM_MS, lockState, startDetached, stopHolder } from "./ping.ts";

/** How long a freshly started monitor gets to answer before we call the start failed. */
export const START_TIMEOUT_MS = 5_000;

export type { OnceOutcome };

export interface OnceOptions {
  socket: string;
  /** `hamon` arguments that start the monitor (src/commands/monitor.ts daemonArgv). */
  monitorArgv: readonly string[];
  /** Probe deadline: a monitor silent this long while holding the lock is hung. */
  timeoutMs: number;
  killHung: boolean;
  startTimeoutMs?: number;
}

export async function discoverOnce(o: OnceOptions): Promise<OnceOutcome> {
  let ok = await answers(o.socket, o.timeoutMs);
  let lock = ok ? { locked: true, holder: null } : lockState(o.socket);
  // Held but silent: maybe a monitor that is starting right now (another
  // guardian's). Give it up to timeoutMs, measuring the real silence.
  const t0 = performance.now();
  while (!ok && lock.locked && performance.now() - t0 < o.timeoutMs) {
    await Bun.sleep(20);
    ok = await answers(o.socket, Math.max(10, o.timeoutMs - (performance.now() - t0)));
    if (!ok) lock = lockState(o.socket);
  }
  const step = plan({ answers: ok, ...lock, silentMs: performance.now() - t0 }, o.timeoutMs);
  switch (step.do) {
    case "ok": return { kind: "running" };
    case "wait": return { kind: "hung", pid: lock.holder?.pid ?? null, why: step.why };
    case "kill": {
      if (!o.killHung) return { kind: "hung", pid: step.holder.pid, why: step.why };
      await stopHolder(o.socket, step.holder, HUNG_TERM_MS);
      const r = await startAndWait(o.socket, o.monitorArgv, o.startTimeoutMs);
      return r.kind === "started" ? { kind: "replaced", killed: step.holder.pid, pid: r.pid, ms: r.ms } : r;
    }
    case "start": return startAndWait(o.socket, o.monitorArgv, o.startTimeoutMs);
  }
}

/**
 * Starts a monitor and waits until it answers ("started"), loses the lock to
 * another one that answers ("running"), exits, or stays silent too long
 * ("failed"). Shared by --once and the guardian.
 */
export async function startAndWait(socket: string, monitorArgv: readonly string[], limit = START_TIMEOUT_MS): Promise<OnceOutcome> {
  const t0 = performance.now();
  const child = startDetached(socket, monitorArgv);
  while (performance.now() - t0 < limit) {
    const code = child.exitCode();
    if (code === EXIT.LOCKED) {
      // Lost a race with another guardian: its monitor is the one.
      return (await answers(socket, limit)) ? { kind: "running" } : { kind: "failed", reason: "another monitor holds the lock but does not answer" };
    }
    if (code !== null) return { kind: "failed", reason: `monitor exited with status ${code} (see monitor.log beside the socket)` };
    if (await answers(socket, 250)) {
      // Ours only if our child holds the lock; else another guardian's monitor answered.
      const mine = lockState(socket).holder?.pid === child.pid;
      return mine ? { kind: "started", pid: child.pid, ms: Math.round(performance.now() - t0) } : { kind: "running" };
    }
    await Bun.sleep(5);
  }
  return { kind: "failed", reason: `monitor did not answer within ${limit} ms` };
}
