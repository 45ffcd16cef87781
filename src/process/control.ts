/**
 * Process control, the one I/O edge for every process hamon starts, signals
 * or watches: the monitor's owned daemons (supervisor.ts), the sidecar's
 * daemon (owned.ts), level hooks and exec checks (run.ts), a guardian's
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
import { pidExists, processStartTime } from "../sys/proc.ts";

/** How a process ended. `status` is what a shell shows: the exit code, or 128+N for signal N. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
  readonly status: number;
  /** "exited with status 3", "killed by SIGKILL". */
  readonly how: string;
}

export interface SpawnOptions {
  /** Added to a clean copy of our environment. */
  readonly env?: Record<string, string>;
  /** Default inherit; "ignore"; a descriptor for stdout and stderr (a log file); "pipe" to capture them. */
  readonly output?: "inherit" | "ignore" | "pipe" | number;
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
  /** Sends `sig` to `pid`'s process group (`group`) or to `pid`; a group that is gone falls back to the pid. Never throws. */
  signal(pid: number, sig: NodeJS.Signals, group: boolean): void;
}

export function describeExit(code: number | null, signal: string | null): ExitStatus {
  const num = signal ? (SIGNAL_NUMBERS.get(signal) ?? 0) : 0;
  return { code, signal, status: signal ? 128 + num : (code ?? 0), how: signal ? `killed by ${signal}` : `exited with status ${code ?? "?"}` };
}

const SIGNAL_NUMBERS = new Map([["SIGHUP", 1], ["SIGINT", 2], ["SIGQUIT", 3], ["SIGABRT", 6], ["SIGKILL", 9], ["SIGSEGV", 11], ["SIGPIPE", 13], ["SIGTERM", 15]]);

/** Signals `pid` only while it is still the process that had `startTime` (never a recycled pid); true when sent. */
export function signalIdentified(pc: ProcessControl, pid: number, startTime: number, sig: NodeJS.Signals, group = false): boolean {
  if (pc.startTime(pid) !== startTime) return false;
  pc.signal(pid, sig, group);
  return true;
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
        stdout: out,
        stderr: out,
        detached: o.session ?? true,
        env: childEnv(o.env ?? {}),
        ...(o.cwd ? { cwd: o.cwd } : {}),
        ...(o.uid !== undefined ? { uid: o.uid } : {}),
        ...(o.gid !== undefined ? { gid: o.gid } : {}),
      });
    } finally {
      if (oldMask !== null) process.umask(oldMask);
    }
    const exited = child.exited.then((code) => {
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
  signal(pid, sig, group) {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      if (!group) return;
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  },
};
