/**
 * Process control, the one I/O edge for every process hamon starts, signals
 * or watches: the monitor's owned daemons (supervisor.ts), the sidecar's
 * daemon (sidecar-daemon.ts), level hooks and exec checks (run.ts), a guardian's
 * monitor (discovery). Behind a small interface so the logic above it runs
 * against a fake in tests (fake.ts; one shared suite runs against both,
 * test/process/).
 *
 * Rules: argv arrays, never a shell; every child in its own session (setsid:
 * its own process group, so it outlives a monitor crash and a stop reaches
 * what it forked); an environment without the variables that would inject
 * code into a Bun child (security/env.ts); identity is pid *and* start time,
 * so a recycled pid is never signalled or mistaken for the process.
 */
import { childEnv } from "../security/env.ts";
import { pidExists, processStartTime, processStat, processUids, type ProcStat } from "../sys/proc.ts";
import { forgetChild, noteChild, reapChild, sweepOrphans } from "../sys/reaper.ts";

/** How a process ended. `status` is what a shell shows: the exit code, or 128+N for signal N. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
  readonly status: number;
  /** "exited with status 3", "killed by SIGKILL". */
  readonly how: string;
}

export interface SpawnOptions {
  /** Added to a copy of our environment without the variables that load code (security/env.ts); with `cleanEnv`, the whole environment. */
  readonly env?: Record<string, string>;
  /** Nothing of our environment is inherited: `env` is all it gets (a daemon run as a user). */
  readonly cleanEnv?: boolean;
  /** Default inherit; "ignore"; a descriptor for stdout and stderr (a log file); "pipe" to capture them. */
  readonly output?: "inherit" | "ignore" | "pipe" | number;
  /** Separate descriptors for stdout and stderr (pipes of the caller's own); they override `output`. */
  readonly stdoutFd?: number;
  readonly stderrFd?: number;
  /** Default true: its own session and process group. */
  readonly session?: boolean;
  /** Default "ignore"; "inherit" passes ours on (a sidecar's daemon). */
  readonly input?: "inherit" | "ignore";
  /** Working directory (default ours). */
  readonly cwd?: string;
  /** Run as this uid/gid (supplementary groups cleared). */
  readonly uid?: number;
  readonly gid?: number;
  /** The child's umask (default ours). */
  readonly umask?: number;
  /** Its RLIMIT_NOFILE, soft and hard (default ours): see withNofile. */
  readonly nofile?: number;
}

export interface Spawned {
  readonly pid: number;
  readonly startTime: number;
  readonly exited: Promise<ExitStatus>;
  /** With output "pipe". */
  readonly stdout?: ReadableStream<Uint8Array>;
  readonly stderr?: ReadableStream<Uint8Array>;
  /** Don't keep the event loop alive for it (a guardian's detached monitor). */
  unref(): void;
}

export interface ProcessControl {
  /** Starts argv; throws when it cannot be executed (missing binary, no permission). */
  spawn(argv: readonly string[], o?: SpawnOptions): Spawned;
  /** Start time (clock ticks since boot) of `pid`, or null when it does not exist or is a zombie. */
  startTime(pid: number): number | null;
  /** Cheap liveness (kill 0): zombies and recycled pids pass it; pair with startTime now and then. */
  exists(pid: number): boolean;
  /** Parent, process group, session and start time of a live process, or null (gone, or a zombie). */
  stat(pid: number): ProcStat | null;
  /** Real and effective uid of a live process, or null. */
  uids(pid: number): { real: number; effective: number } | null;
  /**
   * Collects `pid` if it is a dead child we did not spawn (a forking daemon
   * reparented to us as child subreaper): true when it was dead and is gone
   * now. Never touches a child spawn() made (its own waiter collects those).
   */
  reap(pid: number): boolean;
  /** Collects every dead orphan reparented to us (a daemon's double-forked helpers); how many. */
  reapOrphans(): number;
  /**
   * The raw kill(2): `pid`'s process group (`group`) or `pid` alone. Never
   * throws. Nothing calls it but signalIdentified and reapGroup below, which
   * check identity first.
   */
  signal(pid: number, sig: NodeJS.Signals, group: boolean): void;
}

/**
 * A process hamon may signal: its pid, the start time it had when hamon
 * first saw it, and the process group hamon created for it (its pid, when
 * hamon spawned it in a session of its own), or null: a process hamon did
 * not put in a group of its own (adopted, attached, a forking daemon's
 * child) is signalled alone, never with a group.
 */
export interface ProcRef {
  readonly pid: number;
  readonly startTime: number;
  readonly group: number | null;
}

export function describeExit(code: number | null, signal: string | null): ExitStatus {
  const num = signal ? (SIGNAL_NUMBERS.get(signal) ?? 0) : 0;
  return { code, signal, status: signal ? 128 + num : (code ?? 0), how: signal ? `killed by ${signal}` : `exited with status ${code ?? "?"}` };
}

const SIGNAL_NUMBERS = new Map([["SIGHUP", 1], ["SIGINT", 2], ["SIGQUIT", 3], ["SIGABRT", 6], ["SIGKILL", 9], ["SIGSEGV", 11], ["SIGPIPE", 13], ["SIGTERM", 15]]);

/**
 * The one way hamon signals a process. Identity is read just before the
 * kill: `pid` must still be the process that had `startTime` (never a
 * recycled pid), never pid 1 and never the monitor itself. Its group is
 * signalled only when hamon created that group and the process is still in
 * it (a daemon that moved to another group is signalled alone). True when sent.
 */
export function signalIdentified(pc: ProcessControl, ref: ProcRef, sig: NodeJS.Signals): boolean {
  if (ref.pid <= 1 || ref.pid === process.pid) return false;
  const st = pc.stat(ref.pid);
  if (st === null || st.startTime !== ref.startTime) return false;
  const group = ref.group !== null && ref.group > 1 && st.pgrp === ref.group;
  pc.signal(group ? ref.group! : ref.pid, sig, group);
  return true;
}

/**
 * SIGKILLs what is left of a process group hamon created, after its leader
 * died (a daemon's forked children). The kernel allocates no pid that still
 * names a live group, so the group is ours while any member lives; but once
 * it is empty the number is free, and a new process with that pid that made
 * itself a group leader would be hit. So: only while no live process has the
 * leader's pid (a recycled pid means the group is gone), never group 1.
 */
export function reapGroup(pc: ProcessControl, group: number): void {
  if (group <= 1 || group === process.pid) return;
  if (pc.stat(group) !== null) return; // the pid names a live process again: not the group we created
  pc.signal(group, "SIGKILL", true);
}

let prlimitPath: string | undefined;

/**
 * argv run under a file-descriptor limit. Bun.spawn cannot set a child's
 * rlimits, and setting our own around the spawn would let the monitor's other
 * threads hit it; so, as runit's `chpst -o` and s6's `s6-softlimit` do, a
 * wrapper sets the limit and execs the daemon: util-linux's prlimit(1),
 * present wherever util-linux is. It execs, so the daemon keeps the pid we
 * spawned and its own argv in /proc (adoption compares that).
 */
export function withNofile(argv: readonly string[], nofile: number): string[] {
  // Looked up once (a PATH search stats files: not on every restart, on the monitor's loop).
  prlimitPath ??= Bun.which("prlimit", { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" }) ?? Bun.which("prlimit") ?? "";
  const prlimit = prlimitPath;
  if (!prlimit) throw new Error("nofile needs util-linux's prlimit(1), which is not installed");
  return [prlimit, `--nofile=${nofile}:${nofile}`, "--", ...argv];
}

/** The real thing: Bun.spawn, kill(2), /proc. */
export const realProcesses: ProcessControl = {
  spawn(argv, o = {}) {
    const out = o.output ?? "inherit";
    // The child inherits the umask at spawn: set ours around the (synchronous) spawn only.
    const oldMask = o.umask === undefined ? null : process.umask(o.umask);
    let child: Bun.Subprocess;
    try {
      child = Bun.spawn(o.nofile === undefined ? [...argv] : withNofile(argv, o.nofile), {
        stdin: o.input ?? "ignore",
        stdout: o.stdoutFd ?? out,
        stderr: o.stderrFd ?? out,
        detached: o.session ?? true,
        env: o.cleanEnv ? { ...(o.env ?? {}) } : childEnv(o.env ?? {}),
        ...(o.cwd ? { cwd: o.cwd } : {}),
        ...(o.uid !== undefined ? { uid: o.uid } : {}),
        ...(o.gid !== undefined ? { gid: o.gid } : {}),
      });
    } finally {
      if (oldMask !== null) process.umask(oldMask);
    }
    noteChild(child.pid);
    const exited = child.exited.then((code) => {
      forgetChild(child.pid);
      const sig = child.signalCode;
      return describeExit(sig ? null : code, typeof sig === "number" ? `signal ${sig}` : (sig ?? null));
    });
    return {
      pid: child.pid,
      startTime: processStartTime(child.pid) ?? 0,
      exited,
      ...(out === "pipe" ? { stdout: child.stdout as ReadableStream<Uint8Array>, stderr: child.stderr as ReadableStream<Uint8Array> } : {}),
      unref: () => child.unref(),
    };
  },
  startTime: (pid) => processStartTime(pid),
  exists: (pid) => pidExists(pid),
  stat: (pid) => processStat(pid),
  uids: (pid) => processUids(pid),
  reap: (pid) => reapChild(pid),
  reapOrphans: () => sweepOrphans(),
  signal(pid, sig, group) {
    // No fallback from a group that is gone to the pid: the pid may name someone else by now.
    if (pid <= 1) return;
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      /* already gone */
    }
  },
};
