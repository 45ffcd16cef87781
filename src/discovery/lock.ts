/**
 * The monitor lock: one active monitor per socket (per host by default).
 *
 * flock(LOCK_EX) on `<socket>.lock`, held for the monitor's whole life on a
 * descriptor opened O_CLOEXEC, so the daemons it spawns never inherit it and
 * the kernel releases it the instant the monitor dies, however it dies: a
 * lock cannot go stale. The file's content (`pid starttime`) only tells a
 * guardian whom to kill when the holder stops answering; the flock, not the
 * content, is the truth, and a file left by a dead monitor means nothing.
 *
 * O_NOFOLLOW: a symlink planted at the lock path is refused, not followed.
 */
import { dirname } from "node:path";
import { mkdirSync, readFileSync } from "node:fs";
import { processStartTime } from "../sys/proc.ts";
import { cstr, errno, EWOULDBLOCK, libc, LOCK_EX, LOCK_NB, O_CLOEXEC, O_CREAT, O_NOFOLLOW, O_RDWR, ptr } from "../sys/libc.ts";

export interface Holder {
  pid: number;
  startTime: number;
}

export type LockResult =
  | { ok: true; lock: MonitorLock }
  | { ok: false; held: true; holder: Holder | null }
  | { ok: false; held: false; why: string };

export interface MonitorLock {
  readonly path: string;
  release(): void;
}

export function lockPathFor(socket: string): string {
  return `${socket}.lock`;
}

/** Tries once, never blocks. `record` writes our identity into the file (the monitor does; a mere probe must not). */
export function tryLock(path: string, record = true): LockResult {
  if (record) mkdirSync(dirname(path), { recursive: true, mode: 0o750 }); // a probe (polled) does no directory I/O
  const p = cstr(path);
  const fd = libc.symbols.open(ptr(p), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640);
  if (fd < 0) return { ok: false, held: false, why: `cannot open ${path}: errno ${errno()}` };
  if (libc.symbols.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const err = errno();
    libc.symbols.close(fd);
    if (err === EWOULDBLOCK) return { ok: false, held: true, holder: readHolder(path) };
    return { ok: false, held: false, why: `flock ${path}: errno ${err}` };
  }
  if (record) {
    const me = Buffer.from(`${process.pid} ${processStartTime(process.pid) ?? 0}\n`);
    libc.symbols.ftruncate(fd, 0);
    libc.symbols.pwrite(fd, ptr(me), me.length, 0);
  }
  let open = true;
  return {
    ok: true,
    lock: {
      path,
      release() {
        if (!open) return;
        open = false;
        libc.symbols.close(fd); // closing the only descriptor drops the flock
      },
    },
  };
}

/** True when some process holds the lock now (probes without keeping it). */
export function isLocked(path: string): boolean {
  const r = tryLock(path, false);
  if (r.ok) r.lock.release();
  return !r.ok && r.held;
}

/** Who wrote the lock file, if it parses and that process still runs with the same start time. */
export function readHolder(path: string): Holder | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const m = /^(\d+) (\d+)\n$/.exec(text);
  if (!m) return null;
  const h = { pid: Number(m[1]), startTime: Number(m[2]) };
  return processStartTime(h.pid) === h.startTime ? h : null;
}
