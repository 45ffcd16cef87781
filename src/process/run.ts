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
import { realProcesses, type ExitStatus, type ProcessControl } from "./control.ts";

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs: number;
  /** Capture stdout and stderr (else they go to ours). */
  readonly capture?: boolean;
  readonly control?: ProcessControl;
}

export interface RunResult {
  /** How it ended; null when it could not start (`startError` says why). */
  readonly exit: ExitStatus | null;
  readonly startError: string | null;
  /** Killed (with its group) at the deadline. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runWithDeadline(argv: readonly string[], o: RunOptions): Promise<RunResult> {
  const pc = o.control ?? realProcesses;
  let p;
  try {
    p = pc.spawn(argv, { ...(o.env ? { env: o.env } : {}), output: o.capture ? "pipe" : "inherit" });
  } catch (e) {
    return { exit: null, startError: (e as Error).message, timedOut: false, stdout: "", stderr: "" };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    pc.signal(p.pid, "SIGKILL", true);
  }, o.timeoutMs);
  const [stdout, stderr, exit] = await Promise.all([
    p.stdout ? new Response(p.stdout).text() : "",
    p.stderr ? new Response(p.stderr).text() : "",
    p.exited,
  ]);
  clearTimeout(timer);
  return { exit, startError: null, timedOut, stdout, stderr };
}
