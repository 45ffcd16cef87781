/**
 * The process a sidecar stands for (on ProcessControl, control.ts): one it owns (spawned from argv, or adopted
 * from an earlier sidecar; stopped with SIGTERM then SIGKILL) or one it
 * watches (a pid, or the pid a pidfile names). Every pid not our child is
 * identified by its start time, so a recycled pid is never taken for it. All
 * end the same way: a promise of how the process ended.
 */
import { realProcesses, type ProcessControl } from "./control.ts";
import { escalateStop } from "./stop.ts";

/** How often a watched (not owned) pid is checked. */
export const WATCH_INTERVAL_MS = 100;

export interface Ended {
  /** The status a shell would show: the exit status, or 128+N for signal N. */
  code: number;
  why: string;
}

/**
 * The daemon a sidecar owns: normally its child; after `adopt`, a daemon an
 * earlier sidecar spawned and left running (src/process/adopt.ts), watched by
 * pid and start time and stopped by pid until the next `start` replaces it.
 */
export class OwnedDaemon {
  private child: { pid: number; startTime: number; done: boolean } | null = null;
  private adopted: { pid: number; startTime: number; cancel(): void } | null = null;
  ended: Promise<Ended> = Promise.resolve({ code: 0, why: "not started" });

  /** `env` is added to the daemon's environment (the owner mark). */
  constructor(private readonly argv: readonly string[], private readonly env: Record<string, string> = {}, private readonly pc: ProcessControl = realProcesses) {}

  get pid(): number {
    return this.child?.pid ?? this.adopted?.pid ?? 0;
  }

  get running(): boolean {
    if (this.adopted) return this.pc.startTime(this.adopted.pid) === this.adopted.startTime;
    return this.child !== null && !this.child.done;
  }

  /** Spawns the daemon (throws when it cannot start); returns its pid. Its child: it is signalled alone, not as a group. */
  start(): number {
    this.drop();
    const p = this.pc.spawn(this.argv, { env: this.env, session: false, input: "inherit" });
    const child = { pid: p.pid, startTime: p.startTime, done: false };
    this.child = child;
    this.ended = p.exited.then((s) => {
      child.done = true;
      return { code: s.status, why: s.how };
    });
    return p.pid;
  }

  /** Takes over a running daemon that is not our child. Its exit status cannot be known: an end reads "process N is gone" (code 1). */
  adopt(pid: number, startTime: number): number {
    this.drop();
    const w = watchPid(pid, startTime, this.pc);
    this.adopted = { pid, startTime, cancel: w.cancel };
    this.ended = w.ended;
    return pid;
  }

  /** The one escalation (stop.ts): `sig`, SIGCONT, SIGKILL after `timeoutMs`; resolves with how it ended. */
  async stop(timeoutMs: number, sig: NodeJS.Signals = "SIGTERM"): Promise<Ended> {
    if (!this.running) return this.ended;
    const child = this.child;
    const ref = child ? { pid: child.pid, startTime: child.startTime, group: null } : { pid: this.adopted!.pid, startTime: this.adopted!.startTime, group: null };
    // Its own child is signalled only until collected (its pid may be someone else's after): identity is checked before each signal.
    if (!child?.done) await escalateStop(this.pc, ref, timeoutMs, this.ended, sig);
    return this.ended;
  }

  private drop(): void {
    this.adopted?.cancel();
    this.adopted = null;
  }
}

/** Stops a process by pid (SIGTERM, SIGKILL after `timeoutMs`), never a recycled pid; resolves when it is gone. */
export function stopPid(pid: number, startTime: number, timeoutMs: number, pc: ProcessControl = realProcesses): Promise<Ended> {
  const d = new OwnedDaemon([], {}, pc);
  d.adopt(pid, startTime);
  return d.stop(timeoutMs);
}

/** Watches a process started elsewhere until it ends (or `cancel`). */
export function watchPid(pid: number, startTime: number, pc: ProcessControl = realProcesses): { ended: Promise<Ended>; cancel(): void } {
  let cancel = () => {};
  const ended = new Promise<Ended>((resolve) => {
    const t = setInterval(() => {
      if (pc.startTime(pid) === startTime) return;
      clearInterval(t);
      resolve({ code: 1, why: `process ${pid} is gone` });
    }, WATCH_INTERVAL_MS);
    cancel = () => clearInterval(t);
  });
  return { ended, cancel };
}
