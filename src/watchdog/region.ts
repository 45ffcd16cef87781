/**
 * The one module that reads heartbeat memory. Read-only by construction:
 * open(O_RDONLY) through bun:ffi, so hamon needs no write permission on the
 * file and cannot modify it. (`Bun.mmap` always opens O_RDWR and maps PROT_WRITE.)
 *
 * Nothing here may block the monitor's loop or crash it:
 *  - open is O_NONBLOCK (a FIFO or a device at the path would block a plain
 *    open(2) until a writer appears) and fstat comes before anything else:
 *    what is not a regular file (or a memfd, which is one) is refused with a
 *    reason, never read.
 *  - SIGBUS (touching a mapped page past the end of a file that shrank; JS
 *    cannot catch it) is impossible by construction, not by a size probe:
 *    only a memfd carrying F_SEAL_SHRINK is mapped (nobody, the writer
 *    included, can shrink it). Anything else (a plain file, an unsealed
 *    memfd) is read with pread(2) into a buffer the monitor owns, once per
 *    scan: a shrunken file gives a short read, reported as truncated. The
 *    reader is not the datapath; one syscall per scan is affordable.
 * A mapping is never resized or remapped per poll; a new inode (writer
 * restart) gets a new Region and the old one is released.
 */
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { readlinkSync } from "node:fs";

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const O_NOFOLLOW = 0o400000;
const O_NONBLOCK = 0o4000;
const PROT_READ = 1;
const MAP_SHARED = 1;
const F_GET_SEALS = 1034;
const F_DUPFD_CLOEXEC = 1030;
const F_SEAL_SHRINK = 0x0002;
/** Regions are whole pages (layout rule), which also keeps the word view exact. */
const PAGE_BYTES = 4096;
/** Largest region hamon maps (the layout's own cap is 1 MiB). */
const MAX_MAP_BYTES = 1024 * 1024;

const libc = dlopen("libc.so.6", {
  open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  lseek: { args: [FFIType.i32, FFIType.i64, FFIType.i32], returns: FFIType.i64_fast },
  mmap: { args: [FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i64], returns: FFIType.ptr },
  munmap: { args: [FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  fstat: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  pread: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i64], returns: FFIType.i64_fast },
});

/** struct stat: st_dev @0, st_ino @8, st_size @48 on x86-64 and aarch64; st_mode @24 (x86-64) or @16 (aarch64). */
const statBuf = new BigUint64Array(32);
const MODE_WORD = process.arch === "arm64" ? 2 : 3;
/** st_uid: @28 (x86-64: the high half of word 3) or @24 (aarch64: the low half of word 3). */
const uidOfStat = (): number => Number(process.arch === "arm64" ? statBuf[3]! & 0xffffffffn : statBuf[3]! >> 32n);

const FILE_TYPES = new Map([[0o010000, "FIFO"], [0o020000, "character device"], [0o060000, "block device"], [0o140000, "socket"], [0o040000, "directory"]]);

export interface Region {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly size: number;
  readonly sealed: boolean;
  readonly ino: number;
  readonly dev: number;
  /** Who owns the file (fstat of the descriptor opened): root or the fast path's own user, or it is refused. */
  readonly uid: number;
  /**
   * Makes `u8`/`u32` current for a scan of the first `bytes` bytes. Sealed: a
   * no-op (the mapping is live). Otherwise one pread; false when the file no
   * longer holds that many bytes (truncated).
   */
  refresh(bytes: number): boolean;
  /**
   * A descriptor of its own for another reader (the watchdog thread maps or
   * reads the region through it, and closes it itself: neither side's close
   * can pull the file from under the other). -1 once closed or on failure.
   */
  dup(): number;
  close(): void;
}

export type OpenResult = { ok: true; region: Region } | { ok: false; reason: string };

/**
 * Opens and maps `path` read-only. The path may be a regular file or a symlink
 * to `/proc/<pid>/fd/<n>` (how a sealed memfd is published); any other
 * symlink is refused, so a link planted in a shared directory is not followed.
 */
export function openRegion(path: string): OpenResult {
  let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  let target: string | null = null;
  try {
    target = readlinkSync(path);
  } catch {
    /* not a symlink (or absent: open reports it) */
  }
  if (target !== null) {
    if (!/^\/proc\/[1-9][0-9]*\/fd\/[0-9]+$/.test(target)) return { ok: false, reason: `${path} is a symlink to ${target}, not to /proc/<pid>/fd/<n>` };
  } else {
    flags |= O_NOFOLLOW;
  }
  const cpath = Buffer.from(`${path}\0`);
  const fd = libc.symbols.open(ptr(cpath), flags);
  if (fd < 0) return { ok: false, reason: `cannot open ${path} read-only` };
  return regionFromFd(fd, path);
}

/**
 * The region behind `fd`, which it now owns (closed on failure or with the
 * region). What a path opened above gives, and what the watchdog thread
 * builds from a descriptor `dup()`ed for it: the same checks both times.
 */
export function regionFromFd(fd: number, path: string): OpenResult {
  let mapped = 0;
  let keep = false;
  let size = 0;
  try {
    if (libc.symbols.fstat(fd, ptr(statBuf)) !== 0) return { ok: false, reason: "fstat failed" };
    const mode = Number(statBuf[MODE_WORD]! & 0xffffffffn);
    if ((mode & 0o170000) !== 0o100000) return { ok: false, reason: `${path} is a ${FILE_TYPES.get(mode & 0o170000) ?? "special file"}, not a regular file or memfd: not read` };
    size = Number(statBuf[6]!);
    if (size <= 0 || size > MAX_MAP_BYTES || size % PAGE_BYTES !== 0) {
      return { ok: false, reason: `file size ${size} is not a multiple of ${PAGE_BYTES} in [${PAGE_BYTES}, ${MAX_MAP_BYTES}]` };
    }
    const seals = libc.symbols.fcntl(fd, F_GET_SEALS, 0);
    const sealed = seals >= 0 && (seals & F_SEAL_SHRINK) !== 0;
    const dev = Number(statBuf[0]!);
    const ino = Number(statBuf[1]!);
    const uid = uidOfStat();
    let open = true;
    if (!sealed) {
      // Copied, never mapped: a file that shrinks gives a short read, not SIGBUS.
      const buf = new ArrayBuffer(size);
      const u8 = new Uint8Array(buf);
      const bufPtr = ptr(u8);
      if (Number(libc.symbols.pread(fd, bufPtr, size, 0)) !== size) return { ok: false, reason: `${path}: short read (file shrank while opened)` };
      keep = true;
      const region: Region = {
        u8, u32: new Uint32Array(buf), size, sealed, ino, dev, uid,
        refresh: (bytes) => open && Number(libc.symbols.pread(fd, bufPtr, bytes, 0)) === bytes,
        dup: () => (open ? libc.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1),
        close() {
          if (!open) return;
          open = false;
          libc.symbols.close(fd);
        },
      };
      return { ok: true, region };
    }
    const p = libc.symbols.mmap(null, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p === null || p === 0 || Number(p) >= 2 ** 64 - 4096) return { ok: false, reason: "mmap failed" };
    mapped = Number(p);
    keep = true;
    const ab = toArrayBuffer(p, 0, size);
    const region: Region = {
      u8: new Uint8Array(ab), u32: new Uint32Array(ab), size, sealed, ino, dev, uid,
      refresh: () => open,
      dup: () => (open ? libc.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1),
      close() {
        if (!open) return;
        open = false;
        libc.symbols.munmap(mapped, size);
        libc.symbols.close(fd);
      },
    };
    return { ok: true, region };
  } finally {
    if (!keep) libc.symbols.close(fd);
  }
}

/** (dev, ino) of what `path` names now, or null; used to notice a writer restart (new inode). */
export function identify(path: string): { dev: number; ino: number } | null {
  const cpath = Buffer.from(`${path}\0`);
  const fd = libc.symbols.open(ptr(cpath), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return null;
  try {
    if (libc.symbols.fstat(fd, ptr(statBuf)) !== 0) return null;
    return { dev: Number(statBuf[0]!), ino: Number(statBuf[1]!) };
  } finally {
    libc.symbols.close(fd);
  }
}
