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
 * Someone else's file is never trusted: the directory must pass StrictModes
 * (sys/strict-dir.ts; no one else can create the file first), the file is
 * opened O_NOFOLLOW|O_NONBLOCK (a planted symlink is refused, a FIFO cannot
 * hang us) and must be a regular file owned by root or us, checked on the
 * descriptor. A holder read from it must be the pid the kernel names as the
 * lock's holder in /proc/locks, with the start time the file says.
 */
import { dirname } from "node:path";
import { fstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { processStartTime } from "../sys/proc.ts";
import { cstr, errno, EWOULDBLOCK, libc, LOCK_EX, LOCK_NB, O_CLOEXEC, O_CREAT, O_NOFOLLOW, O_RDWR, ptr } from "../sys/libc.ts";
import { readSmallFile } from "../sys/safe-file.ts";
import { strictDirProblem, trustedUids } from "../sys/strict-dir.ts";

const O_NONBLOCK = 0o4000;

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
  const dirWhy = strictDirProblem(dirname(path));
  if (dirWhy) return { ok: false, held: false, why: `lock directory refused: ${dirWhy}` };
  const p = cstr(path);
  const fd = libc.symbols.open(ptr(p), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o640);
  if (fd < 0) return { ok: false, held: false, why: `cannot open ${path}: errno ${errno()}` };
  const fileWhy = untrustedFile(fd);
  if (fileWhy) {
    libc.symbols.close(fd);
    return { ok: false, held: false, why: `lock file ${path} refused: ${fileWhy}` };
  }
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

function untrustedFile(fd: number): string | null {
  const st = fstatSync(fd);
  if (!st.isFile()) return "not a regular file";
  if (!trustedUids().includes(st.uid)) return `owned by uid ${st.uid}, not by root or the user hamon runs as`;
  return null;
}

/**
 * Who holds the lock: what the file says, trusted only when the file is
 * root's or ours, the kernel names that pid as the holder of this file's
 * flock (/proc/locks), and the process still has the start time written.
 */
export function readHolder(path: string): Holder | null {
  const f = readSmallFile(path, 64);
  if (!f.ok || !trustedUids().includes(f.uid)) return null;
  const m = /^(\d+) (\d+)\n$/.exec(f.text);
  if (!m) return null;
  const h = { pid: Number(m[1]), startTime: Number(m[2]) };
  if (h.pid <= 1 || !kernelHolders(path).includes(h.pid)) return null;
  return processStartTime(h.pid) === h.startTime ? h : null;
}

/** The pids /proc/locks names as holding a FLOCK on `path`'s inode. */
function kernelHolders(path: string): number[] {
  let st;
  let locks: string;
  try {
    st = statSync(path);
    locks = readFileSync("/proc/locks", "latin1");
  } catch {
    return [];
  }
  const dev = Number(st.dev);
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const id = `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}:${st.ino}`;
  const out: number[] = [];
  for (const line of locks.split("\n")) {
    const w = line.trim().split(/\s+/);
    // "1: FLOCK  ADVISORY  WRITE 1234 00:1f:5678 0 EOF" (a waiter's line starts "1: -> FLOCK")
    if (w[1] === "FLOCK" && w[5] === id) out.push(Number(w[4]));
  }
  return out;
}
