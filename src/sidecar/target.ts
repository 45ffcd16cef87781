/**
 * The process a sidecar stands for: one it owns (spawned from argv, stopped
 * with SIGTERM then SIGKILL) or one it watches (a pid, or the pid a pidfile
 * names, identified by its start time so a recycled pid is never taken for
 * it). Both end the same way: a promise of how the process ended.
 */
import { readFileSync } from "node:fs";
import { processStartTime, sameProcessAlive } from "../sys/proc.ts";
import { childEnv } from "../security/env.ts";

/** How often a watched (not owned) pid is checked. */
export const WATCH_INTERVAL_MS = 100;

export interface Ended {
  /** The status a shell would show: the exit status, or 128+N for signal N. */
  code: number;
  why: string;
}

export class OwnedDaemon {
  private child: Bun.Subprocess | null = null;
  ended: Promise<Ended> = Promise.resolve({ code: 0, why: "not started" });

  constructor(private readonly argv: readonly string[]) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the daemon (throws when it cannot start); returns its pid. */
  start(): number {
    const child = Bun.spawn([...this.argv], { stdio: ["inherit", "inherit", "inherit"], env: childEnv() });
    this.child = child;
    this.ended = child.exited.then((code) => ({ code, why: child.signalCode ? `killed by ${child.signalCode}` : `exited with status ${code}` }));
    return child.pid;
  }

  /** Sends `sig`, then SIGKILL after `timeoutMs`; resolves with how it ended. */
  async stop(timeoutMs: number, sig: NodeJS.Signals = "SIGTERM"): Promise<Ended> {
    const child = this.child;
    if (!child || !this.running) return this.ended;
    child.kill(sig);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const r = await this.ended;
    clearTimeout(timer);
    return r;
  }
}

/** Watches a process started elsewhere until it ends (or `cancel`). */
export function watchPid(pid: number, startTime: number): { ended: Promise<Ended>; cancel(): void } {
  let cancel = () => {};
  const ended = new Promise<Ended>((resolve) => {
    const t = setInterval(() => {
      if (sameProcessAlive(pid, startTime)) return;
      clearInterval(t);
      resolve({ code: 1, why: `process ${pid} is gone` });
    }, WATCH_INTERVAL_MS);
    cancel = () => clearInterval(t);
  });
  return { ended, cancel };
}

/** The live process a pidfile names, or why there is none. */
export function readPidfile(path: string): { pid: number; startTime: number } | { why: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { why: `pidfile ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  const m = /^\s*([1-9][0-9]{0,9})\s*$/.exec(text);
  if (!m) return { why: `pidfile ${path} does not hold a pid` };
  const pid = Number(m[1]);
  const startTime = processStartTime(pid);
  return startTime === null ? { why: `pidfile ${path} names pid ${pid}, which is not running` } : { pid, startTime };
}
