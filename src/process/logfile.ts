/**
 * A plain daemon's stdout and stderr, kept in `<state dir>/logs/NAME.log`
 * (`output = "log"`). The daemon writes to the file itself (an O_APPEND
 * descriptor it inherits), never into a pipe of ours: a monitor that crashes
 * cannot SIGPIPE it, and nothing is lost while no monitor runs. The monitor
 * rotates by copy-truncate when the file passes `log_max_bytes` (NAME.log.1,
 * NAME.log.2, …, `log_keep` of them): the daemon keeps appending to the same
 * descriptor. What is written between the copy and the truncate (a few
 * microseconds) is lost, as with logrotate's copytruncate.
 */
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";

export function logPath(stateDir: string, name: string): string {
  return join(stateDir, "logs", `${name}.log`);
}

/** Opens the log for appending (created 0640); the caller passes the descriptor to the child, then closes its own. */
export function openLog(stateDir: string, name: string): number {
  mkdirSync(join(stateDir, "logs"), { recursive: true, mode: 0o750 });
  return openSync(logPath(stateDir, name), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
}

export function closeLog(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Rotates `path` when it passed `maxBytes`: .(keep-1) → .keep, …, .1 → .2, a copy to .1, then truncate. True when rotated. */
export function rotateIfBig(path: string, maxBytes: number, keep: number): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  for (let i = keep - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  return true;
}

/** The last `n` lines of a daemon's log (reaching into NAME.log.1 when the current file has fewer). */
export function tailLog(path: string, n: number): string[] {
  const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8").split("\n").filter((l, i, a) => l !== "" || i < a.length - 1) : []);
  let lines = read(path);
  if (lines.length < n) lines = [...read(`${path}.1`), ...lines];
  return lines.slice(-n);
}

/** Prints what is appended to `path` from now on (a truncation by rotation starts it over) until `stop`. */
export async function followLog(path: string, print: (s: string) => void, stop: Promise<unknown>, pollMs = 200): Promise<void> {
  let done = false;
  void stop.then(() => (done = true));
  let offset = existsSync(path) ? statSync(path).size : 0;
  while (!done) {
    await Promise.race([Bun.sleep(pollMs), stop]);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      continue;
    }
    if (size < offset) offset = 0; // rotated (copy-truncate): the file starts over
    if (size === offset) continue;
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      print(buf.subarray(0, n).toString("utf8"));
    } finally {
      closeSync(fd);
    }
  }
}
