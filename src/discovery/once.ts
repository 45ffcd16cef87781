/**
 * `discovery --once`, what cron kicks: if a monitor answers on the socket,
 * nothing to do; otherwise start one detached (it outlives us, in its own
 * session) and wait until it answers. The outcome is data; the command maps it
 * to an exit status.
 */
import { selfArgv } from "../sys/self.ts";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { probeSocket } from "../transport/unix.ts";

/** How long a freshly started monitor gets to answer before we call the start failed. */
export const START_TIMEOUT_MS = 5_000;

export type OnceOutcome =
  | { kind: "running" }
  | { kind: "started"; pid: number; ms: number }
  | { kind: "failed"; reason: string };

export async function discoverOnce(socket: string, startMs = START_TIMEOUT_MS): Promise<OnceOutcome> {
  if ((await probeSocket(socket)) === "alive") return { kind: "running" };
  mkdirSync(dirname(socket), { recursive: true, mode: 0o750 });
  const logFd = openSync(join(dirname(socket), "monitor.log"), "a", 0o640);
  const t0 = performance.now();
  const child = Bun.spawn([...selfArgv(), "monitor", "--socket", socket], { stdio: ["ignore", logFd, logFd], detached: true });
  child.unref();
  closeSync(logFd); // the child has its own copy
  while (performance.now() - t0 < startMs) {
    if ((await probeSocket(socket)) === "alive") return { kind: "started", pid: child.pid, ms: Math.round(performance.now() - t0) };
    if (child.exitCode !== null) return { kind: "failed", reason: `monitor exited with status ${child.exitCode} (see ${join(dirname(socket), "monitor.log")})` };
    await Bun.sleep(10);
  }
  return { kind: "failed", reason: `monitor did not answer within ${startMs} ms` };
}
