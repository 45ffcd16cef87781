/**
 * The one module that maps heartbeat memory. Read-only by construction:
 * open(O_RDONLY) + mmap(PROT_READ, MAP_SHARED) through bun:ffi, so hamon
 * needs no write permission on the file and cannot modify it. (`Bun.mmap`
 * always opens O_RDWR and maps PROT_WRITE.)
 *
 * SIGBUS, the one crash a memory-safe reader can suffer (touching a mapped
 * page beyond the end of a truncated file; JS cannot catch it), is prevented:
 *  - sealed: the region is a memfd carrying F_SEAL_SHRINK. Nobody, the writer
 *    included, can shrink it, so no mapped page can ever lie past the end.
 *  - unsealed (a plain file): before every scan `probe()` checks the size with
 *    lseek(SEEK_END). A truncation between the probe and the ~µs scan can only
 *    come from a writer bug (the file is the writer's, mode 0640); that residual
 *    window is why the sealed memfd is the recommended transport.
 * A mapping is never resized or remapped per poll; a new inode (writer
 * restart) gets a new Region and the old one is unmapped.
 */
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { readlinkSync } from "node:fs";

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const O_NOFOLLOW = 0o400000;
const PROT_READ = 1;
const MAP_SHARED = 1;
const F_GET_SEALS = 1034;
const F_SEAL_SHRINK = 0x0002;
const SEEK_END = 2;
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
});

/** struct stat: st_dev @0, st_ino @8, st_size @48 on x86-64 and aarch64; st_mode @24 (x86-64) or @16 (aarch64). */
const statBuf = new BigUint64Array(32);
const MODE_WORD = process.arch === "arm64" ? 2 : 3;

export interface Region {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly size: number;
  readonly sealed: boolean;
  readonly ino: number;
  readonly dev: number;
  /** True while the file still covers the whole mapping (always true when sealed). */
  probe(): boolean;
  close(): void;
}

export type OpenResult = { ok: true; region: Region } | { ok: false; reason: string };

/**
 * Opens and maps `path` read-only. The path may be a regular file or a symlink
 * to `/proc/<pid>/fd/<n>` (how a sealed memfd is published); any other
 * symlink is refused, so a link planted in a shared directory is not followed.
 */
export function openRegion(path: string): OpenResult {
  let flags = O_RDONLY | O_CLOEXEC;
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
  let mapped = 0;
  let size = 0;
  try {
    if (libc.symbols.fstat(fd, ptr(statBuf)) !== 0) return { ok: false, reason: "fstat failed" };
    const mode = Number(statBuf[MODE_WORD]! & 0xffffffffn);
    if ((mode & 0o170000) !== 0o100000) return { ok: false, reason: `${path} is not a regular file or memfd` };
    size = Number(statBuf[6]!);
    if (size <= 0 || size > MAX_MAP_BYTES || size % PAGE_BYTES !== 0) {
      return { ok: false, reason: `file size ${size} is not a multiple of ${PAGE_BYTES} in [${PAGE_BYTES}, ${MAX_MAP_BYTES}]` };
    }
    const seals = libc.symbols.fcntl(fd, F_GET_SEALS, 0);
    const sealed = seals >= 0 && (seals & F_SEAL_SHRINK) !== 0;
    const p = libc.symbols.mmap(null, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p === null || p === 0 || Number(p) >= 2 ** 64 - 4096) return { ok: false, reason: "mmap failed" };
    mapped = Number(p);
    const ab = toArrayBuffer(p, 0, size);
    const u8 = new Uint8Array(ab);
    const u32 = new Uint32Array(ab);
    const dev = Number(statBuf[0]!);
    const ino = Number(statBuf[1]!);
    let open = true;
    const region: Region = {
      u8, u32, size, sealed, ino, dev,
      probe: sealed ? () => open : () => open && libc.symbols.lseek(fd, 0, SEEK_END) >= size,
      close() {
        if (!open) return;
        open = false;
        libc.symbols.munmap(mapped, size);
        libc.symbols.close(fd);
      },
    };
    return { ok: true, region };
  } finally {
    if (mapped === 0) libc.symbols.close(fd);
  }
}

/** (dev, ino) of what `path` names now, or null; used to notice a writer restart (new inode). */
export function identify(path: string): { dev: number; ino: number } | null {
  const cpath = Buffer.from(`${path}\0`);
  const fd = libc.symbols.open(ptr(cpath), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return null;
  try {
    if (libc.symbols.fstat(fd, ptr(statBuf)) !== 0) return null;
    return { dev: Number(statBuf[0]!), ino: Number(statBuf[1]!) };
  } finally {
    libc.symbols.close(fd);
  }
}
