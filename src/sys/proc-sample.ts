/**
 * A process's resources, read from /proc into buffers made once: resident
 * memory (statm), CPU time and threads (stat), open descriptors (a
 * getdents64 count of /proc/PID/fd) and its soft descriptor limit (limits).
 * No string, array or object is made per sample: paths are written as bytes,
 * files read with open/read/close through FFI, numbers parsed from the bytes.
 * For resource checks (probes/resource.ts), sampled every check period.
 *
 * @example
 *   const s = new ProcSampler(); const out = newSample(); if (s.sample(pid, out)) out.rssBytes;
 */
import { ptr } from "bun:ffi";
import { libc } from "./libc.ts";
import { isDigit, uintAt, ZERO } from "./digits.ts";
import { parseStat, STAT_FIELDS } from "./stat-fields.ts";

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const O_DIRECTORY = 0o200000;
const O_NOFOLLOW = 0o400000;
/** getdents64's number: x86_64 217, arm64 61 (asm-generic). */
const SYS_GETDENTS64 = process.arch === "x64" ? 217 : 61;
const _SC_PAGESIZE = 30;
const PAGE = Number(libc.symbols.sysconf(_SC_PAGESIZE)) || 4096;
/** USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on Linux). */
export const USER_HZ = 100;

export interface ProcSample {
  rssBytes: number;
  /** utime + stime, in USER_HZ ticks. */
  cpuTicks: number;
  threads: number;
  fds: number;
  /** The soft RLIMIT_NOFILE; Infinity when unlimited. */
  fdLimit: number;
  /** Its main thread's state, as the byte of /proc/PID/stat field 3 ('R', 'S', 'D', 'T', 't', 'Z', …). */
  state: number;
}

export function newSample(): ProcSample {
  return { rssBytes: 0, cpuTicks: 0, threads: 0, fds: 0, fdLimit: Infinity, state: 0 };
}

const SPACE = 32;
const NL = 10;
const PROC = Uint8Array.from("/proc/", (c) => c.charCodeAt(0));
/** "Max open files" in ASCII: the line of /proc/PID/limits with the soft limit. */
const MAX_OPEN_FILES = Uint8Array.from("Max open files", (c) => c.charCodeAt(0));

/**
 * One per process, made on first use (`procSampler()`): its buffers are
 * reused by every sample, never held by a monitor that samples nothing.
 * One buffer serves file reads and getdents both (they never overlap); 8 KiB
 * holds any stat/statm/limits file and about 250 fd entries per getdents call.
 */
export class ProcSampler {
  private readonly buf = new Uint8Array(8192);
  private readonly path = new Uint8Array(64);
  private readonly stat = new Float64Array(STAT_FIELDS + 1);

  /** Fills `out` for `pid`; false when the process is gone (or /proc cannot be read). */
  sample(pid: number, out: ProcSample): boolean {
    if (!this.sampleCpu(pid, out)) return false;
    // statm: size resident shared …, in pages.
    const n = this.readFile(pid, "statm");
    if (n <= 0) return false;
    const sp = this.buf.indexOf(SPACE);
    out.rssBytes = sp < 0 ? 0 : this.int(sp + 1, n) * PAGE;
    out.fdLimit = this.softFdLimit(pid);
    out.fds = this.countFds(pid);
    return true;
  }

  /** Only /proc/PID/stat: its state (field 3), CPU time (utime 14 + stime 15) and threads (20): what tells busy from hung (stalls.ts). */
  sampleCpu(pid: number, out: ProcSample): boolean {
    const n = this.readFile(pid, "stat");
    const f = this.stat;
    if (n <= 0 || !parseStat(this.buf, n, f)) return false;
    out.state = f[3]!;
    out.cpuTicks = f[14]! + f[15]!;
    out.threads = f[20]!;
    return true;
  }

  private softFdLimit(pid: number): number {
    const n = this.readFile(pid, "limits");
    for (let i = 0; i < n; i++) {
      if (i > 0 && this.buf[i - 1] !== NL) continue;
      let k = 0;
      while (k < MAX_OPEN_FILES.length && this.buf[i + k] === MAX_OPEN_FILES[k]) k++;
      if (k < MAX_OPEN_FILES.length) continue;
      let j = i + k;
      while (j < n && this.buf[j] === SPACE) j++;
      return isDigit(this.buf[j]!) ? this.int(j, n) : Infinity; // "unlimited"
    }
    return Infinity;
  }

  private countFds(pid: number): number {
    const fd = this.open(pid, "fd", O_DIRECTORY);
    if (fd < 0) return 0;
    let count = 0;
    try {
      for (;;) {
        const got = Number(libc.symbols.syscall(SYS_GETDENTS64, fd, ptr(this.buf), this.buf.length));
        if (got <= 0) break;
        // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, char name[]: count all but "." and "..".
        for (let off = 0; off < got;) {
          const reclen = this.buf[off + 16]! | (this.buf[off + 17]! << 8);
          const name = off + 19;
          const dot = this.buf[name] === 46 && (this.buf[name + 1] === 0 || (this.buf[name + 1] === 46 && this.buf[name + 2] === 0));
          if (!dot) count++;
          off += reclen;
        }
      }
    } finally {
      libc.symbols.close(fd);
    }
    return count;
  }

  private readFile(pid: number, leaf: string): number {
    const fd = this.open(pid, leaf, 0);
    if (fd < 0) return -1;
    try {
      const n = Number(libc.symbols.read(fd, ptr(this.buf), this.buf.length - 1));
      return n;
    } finally {
      libc.symbols.close(fd);
    }
  }

  /** Opens /proc/PID/LEAF; the path is written as bytes into a buffer made once. */
  private open(pid: number, leaf: string, flags: number): number {
    const p = this.path;
    p.set(PROC, 0);
    let at = writeInt(p, PROC.length, pid);
    p[at++] = 47; // '/'
    for (let k = 0; k < leaf.length; k++) p[at++] = leaf.charCodeAt(k);
    p[at] = 0;
    return libc.symbols.open(ptr(p), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | flags, 0);
  }

  /** 0 when there is no number there (a field cut short). */
  private int(from: number, end: number): number {
    return Math.max(0, uintAt(this.buf, from, end));
  }
}

function writeInt(p: Uint8Array, at: number, v: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let k = digits - 1, x = v; k >= 0; k--, x = Math.floor(x / 10)) p[at + k] = ZERO + (x % 10);
  return at + digits;
}

let shared: ProcSampler | null = null;
/** The process's one sampler (the main thread's callers sample synchronously, one at a time). */
export function procSampler(): ProcSampler {
  return (shared ??= new ProcSampler());
}
