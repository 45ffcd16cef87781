/**
 * A command run to completion with a deadline: level hooks, exec checks (the
 * sidecar's audit command), attrd_updater. In its own process group, so the
 * deadline kills everything it forked (a hook that starts a script that
 * starts a sleep), never a shell. Never throws: a missing binary is a result.
 *
 * @example
 *   const r = await runWithDeadline(["/usr/lib/hamon/hook"], { env: { HAMON_LEVEL: "reboot-system" }, timeoutMs: 60_000 });
 *   r.exit?.how // "exited with status 0"
 */
import { closeSync } from "node:fs";
import { outputPipe } from "../sys/libc.ts";
import { describeExit, realProcesses, signalIdentified, type ExitStatus, type ProcessControl } from "./control.ts";

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* closed */
  }
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs: number;
  /** Capture stdout and stderr (else they go to ours). */
  readonly capture?: boolean;
  /** With capture: the most bytes kept of each stream (default CAPTURE_MAX_BYTES); past it, its group is killed. */
  readonly captureMaxBytes?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Only `env` (nothing of ours): a command run as a user. */
  readonly cleanEnv?: boolean;
  readonly control?: ProcessControl;
}

export interface RunResult {
  /** How it ended; null when it could not start (`startError` says why). */
  readonly exit: ExitStatus | null;
  readonly startError: string | null;
  /** Killed (with its group) at the deadline. */
  readonly timedOut: boolean;
  /** Killed (with its group) because it printed more than the cap. */
  readonly overflowed: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a check's detail needs is one line: a command that prints without end must not grow the monitor. */
export const CAPTURE_MAX_BYTES = 4096;

export async function runWithDeadline(argv: readonly string[], o: RunOptions): Promise<RunResult> {
  const pc = o.control ?? realProcesses;
  // Captured output goes through pipes of our own, read as we pull (Bun's "pipe" reads ahead without bound: a check
  // that prints without end cost hundreds of MB before it was killed). The real processes only: a fake has no pipes.
  const pipes = o.capture && pc === realProcesses ? [outputPipe(), outputPipe()] : null;
  let p;
  try {
    p = pc.spawn(argv, {
      ...(o.env ? { env: o.env } : {}), output: pipes ? "inherit" : o.capture ? "pipe" : "inherit",
      ...(pipes ? { stdoutFd: pipes[0]!.write, stderrFd: pipes[1]!.write } : {}),
      ...(o.uid !== undefined ? { uid: o.uid } : {}), ...(o.gid !== undefined ? { gid: o.gid } : {}), ...(o.cleanEnv ? { cleanEnv: true } : {}),
    });
  } catch (e) {
    for (const q of pipes ?? []) closeFd(q.read); // the write ends: below
    return { exit: null, startError: (e as Error).message, timedOut: false, overflowed: false, stdout: "", stderr: "" };
  } finally {
    for (const q of pipes ?? []) closeFd(q.write); // the child has its own copies
  }
  // Its own group (spawned with setsid): killing it reaches what it forked, and nothing of ours.
  const ref = { pid: p.pid, startTime: p.startTime, group: p.pid };
  let timedOut = false;
  let overflowed = false;
  let release!: () => void;
  // At the deadline (or the cap) our ends of its pipes are closed too: a helper it left in the background
  // holding them (in another session, out of reach of the group kill) cannot keep this run, and its slot, alive.
  const cut = new Promise<void>((r) => (release = r));
  const kill = () => {
    signalIdentified(pc, ref, "SIGKILL");
    release();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, o.timeoutMs);
  const cap = o.captureMaxBytes ?? CAPTURE_MAX_BYTES;
  const over = () => {
    overflowed = true;
    kill();
  };
  const streamOf = (i: number, s: ReadableStream<Uint8Array> | undefined) => (pipes ? Bun.file(pipes[i]!.read).stream() : s);
  const outS = streamOf(0, p.stdout);
  const errS = streamOf(1, p.stderr);
  const [stdout, stderr] = await Promise.all([
    outS ? readBounded(outS, cap, cut, over) : "",
    errS ? readBounded(errS, cap, cut, over) : "",
  ]);
  for (const q of pipes ?? []) closeFd(q.read);
  // Killed or done: its exit follows at once, except when it outlived its deadline unkillably (a D-state child).
  const exit = await Promise.race([p.exited, cut.then(() => Promise.race([p.exited, Bun.sleep(1_000).then(() => describeExit(null, "SIGKILL"))]))]);
  clearTimeout(timer);
  release();
  return { exit, startError: null, timedOut, overflowed, stdout, stderr };
}

/** Reads at most `cap` bytes of `stream`; calls `over` past it; stops (cancelling the read, closing our end) when `cut` settles. */
async function readBounded(stream: ReadableStream<Uint8Array>, cap: number, cut: Promise<void>, over: () => void): Promise<string> {
  const reader = stream.getReader();
  const buf = new Uint8Array(cap);
  let n = 0;
  let stop = false;
  // A pending read is not ended by cancel() while another process still holds the pipe's write end: race it.
  const cutRead = cut.then(() => {
    stop = true;
    return { done: true as const, value: undefined };
  });
  try {
    while (!stop) {
      const r = await Promise.race([reader.read(), cutRead]);
      if (r.done) break;
      const take = Math.min(r.value.length, cap - n);
      buf.set(r.value.subarray(0, take), n);
      n += take;
      if (n >= cap && r.value.length > take) {
        over();
        break;
      }
    }
  } catch {
    /* cancelled at the deadline */
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(buf.subarray(0, n));
}
