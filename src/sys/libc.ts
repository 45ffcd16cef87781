/**
 * The libc calls hamon needs that Bun does not expose: flock (the monitor
 * lock), UNIX datagram sockets (sd_notify), getsockopt (SO_PEERCRED: who is
 * on the other end of a connection), eventfd and epoll (the death watcher),
 * open/read/getdents64 into buffers made once (the resource sampler) and
 * errno. One dlopen per thread that imports it; the watchdog's read-only mapping keeps its own (src/watchdog/region.ts)
 * so the hot scan path does not depend on this module.
 *
 * Constants are Linux values (x86-64 and aarch64 agree on all of them).
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";

export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const EWOULDBLOCK = 11;
export const EINTR = 4;
export const SOL_SOCKET = 1;
export const SO_PEERCRED = 17;

export const libc = dlopen("libc.so.6", {
  open: { args: [FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  ftruncate: { args: [FFIType.i32, FFIType.i64], returns: FFIType.i32 },
  pwrite: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i64], returns: FFIType.i64_fast },
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64_fast },
  getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  /** syscall(number, a, b, c): pointers passed as their address (ptr()). */
  syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64_fast },
  sysconf: { args: [FFIType.i32], returns: FFIType.i64_fast },
  epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
  epoll_ctl: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
});

const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const ECONNREFUSED = 111;
const ENOENT = 2;

/**
 * Does anyone listen on the UNIX stream socket `path`? One non-blocking
 * connect(2), then close: "alive" as soon as the kernel queued the
 * connection (whatever the acceptor then does: a beacon that accepts and
 * closes at once is alive), "busy" when the backlog is full (EAGAIN), "dead"
 * when nobody listens (ECONNREFUSED), "absent" when there is no such file.
 * Never blocks, never waits for the acceptor.
 */
export function connectProbe(path: string): "alive" | "busy" | "dead" | "absent" {
  const bytes = Buffer.from(path);
  if (bytes.length > 107) return "dead";
  const addr = new Uint8Array(110);
  addr[0] = AF_UNIX; // sa_family_t, little-endian u16
  addr.set(bytes, 2);
  const fd = libc.symbols.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "busy";
  try {
    if (libc.symbols.connect(fd, ptr(addr), 2 + bytes.length + 1) === 0) return "alive";
    const e = errno();
    return e === EWOULDBLOCK ? "busy" : e === ENOENT ? "absent" : e === ECONNREFUSED ? "dead" : "dead";
  } finally {
    libc.symbols.close(fd);
  }
}

const CLOCK_MONOTONIC = 1;
const timespec = new BigInt64Array(2);

/**
 * CLOCK_MONOTONIC in milliseconds: one clock for every process of a boot
 * (performance.now() counts from this process's start), never stepped by
 * settimeofday or NTP. What the journal stores, so that a restarted monitor
 * reads times that a clock step cannot stretch or erase.
 */
export function kernelMonotonicMs(): number {
  libc.symbols.clock_gettime(CLOCK_MONOTONIC, ptr(timespec));
  return Number(timespec[0]!) * 1000 + Number(timespec[1]!) / 1e6;
}

const CLOCK_BOOTTIME = 7;

/** CLOCK_BOOTTIME in milliseconds: the clock /proc/PID/stat's start time counts on (a process's age, with no file read). */
export function kernelBoottimeMs(): number {
  libc.symbols.clock_gettime(CLOCK_BOOTTIME, ptr(timespec));
  return Number(timespec[0]!) * 1000 + Number(timespec[1]!) / 1e6;
}

/** errno of the last failed call on this thread. */
export function errno(): number {
  return read.i32(libc.symbols.__errno_location()!, 0);
}

/** A NUL-terminated copy of `s` for a `const char *` argument (keep it referenced during the call). */
export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

export { ptr };

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK_ = 0o4000;
const pipeFds = new Int32Array(2);

/**
 * A pipe for a child's output: both ends close-on-exec (the child gets the
 * write end through its stdio, dup'd), the read end non-blocking (ours, read
 * by an event loop), the write end blocking (the child's: a full pipe makes
 * its write wait, never fail with EAGAIN).
 */
export function outputPipe(): { read: number; write: number } {
  if (libc.symbols.pipe2(ptr(pipeFds), O_CLOEXEC) !== 0) throw new Error(`pipe2: errno ${errno()}`);
  const read = pipeFds[0]!;
  const write = pipeFds[1]!;
  libc.symbols.fcntl(read, F_SETFL, libc.symbols.fcntl(read, F_GETFL, 0) | O_NONBLOCK_);
  return { read, write };
}
