/**
 * Sees a watched process die the moment it does, on a thread of its own (a
 * Worker): one pidfd per process (pidfd_open(2)), all in one epoll set, and
 * this thread blocked in epoll_wait. A pidfd is readable once its process
 * has exited, zombie or not, reaped late by a slow PID 1 or never: "dead
 * whether or not it was reaped". A process that is already a zombie when
 * added is reported at once.
 *
 * The main thread adds and removes pids through a shared ring (no message
 * handling here: this thread only ever blocks in the kernel) and wakes it
 * with an eventfd. Deaths go back as messages: { dead: pid }; each pidfd
 * opened as { watching: pid }, after which the main thread verifies the
 * pid's identity once (a pid reused before the open is then caught).
 *
 * In: one message { ring: SharedArrayBuffer, wake: number }. Ring layout
 * (Int32): [0] head (written by the main thread), then pairs (op, pid): op 1
 * add, 2 remove, 3 stop.
 */
import { ptr } from "bun:ffi";
import { libc } from "../sys/libc.ts";
import { OP_REMOVE, OP_STOP, RING_CAPACITY } from "./death-ring.ts";

declare const self: Worker;

/** pidfd_open's number on x86_64 and arm64 alike (asm-generic). */
const SYS_PIDFD_OPEN = 434;
const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLLIN = 1;
/** struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
const EV_SIZE = process.arch === "x64" ? 12 : 16;
const EV_DATA = process.arch === "x64" ? 4 : 8;
const MAX_EVENTS = 64;
/** epoll data of the wake-up eventfd (pids are positive). */
const WAKE = -1;

self.onmessage = (m: MessageEvent<{ ring: SharedArrayBuffer; wake: number }>) => {
  self.onmessage = null;
  run(new Int32Array(m.data.ring), m.data.wake);
};

function run(ring: Int32Array, wake: number): void {
  const ep = libc.symbols.epoll_create1(EPOLL_CLOEXEC);
  const ev = new Uint8Array(EV_SIZE);
  const dv = new DataView(ev.buffer);
  const ctl = (op: number, fd: number, data: number) => {
    dv.setUint32(0, EPOLLIN, true);
    dv.setBigInt64(EV_DATA, BigInt(data), true);
    return libc.symbols.epoll_ctl(ep, op, fd, ptr(ev));
  };
  ctl(EPOLL_CTL_ADD, wake, WAKE);
  const fds = new Map<number, number>(); // pid → pidfd
  const events = new Uint8Array(EV_SIZE * MAX_EVENTS);
  const ed = new DataView(events.buffer);
  const counter = new BigUint64Array(1);
  let tail = 0;
  for (;;) {
    // What the main thread asked since the last look (all of it: the eventfd only says "look").
    const head = Atomics.load(ring, 0);
    while (tail !== head) {
      const i = 1 + 2 * (tail % RING_CAPACITY);
      const op = ring[i]!;
      const pid = ring[i + 1]!;
      tail++;
      if (op === OP_STOP) {
        for (const fd of fds.values()) libc.symbols.close(fd);
        libc.symbols.close(ep);
        return;
      }
      const had = fds.get(pid);
      if (op === OP_REMOVE || had !== undefined) {
        if (had !== undefined) {
          ctl(EPOLL_CTL_DEL, had, pid);
          libc.symbols.close(had);
          fds.delete(pid);
        }
        if (op === OP_REMOVE) continue;
      }
      const fd = Number(libc.symbols.syscall(SYS_PIDFD_OPEN, pid, 0, 0));
      // Already gone (ESRCH): dead as far as anyone can tell.
      if (fd < 0) self.postMessage({ dead: pid });
      else {
        fds.set(pid, fd);
        ctl(EPOLL_CTL_ADD, fd, pid);
        // The main thread checks the pid's start time once more now: a match proves this pidfd is
        // the process it adopted (a pid reused before the open would carry another start time).
        self.postMessage({ watching: pid });
      }
    }
    const n = libc.symbols.epoll_wait(ep, ptr(events), MAX_EVENTS, -1);
    for (let k = 0; k < n; k++) {
      const data = Number(ed.getBigInt64(k * EV_SIZE + EV_DATA, true));
      if (data === WAKE) {
        libc.symbols.read(wake, ptr(counter), 8);
        continue;
      }
      const fd = fds.get(data);
      if (fd === undefined) continue;
      ctl(EPOLL_CTL_DEL, fd, data);
      libc.symbols.close(fd);
      fds.delete(data);
      self.postMessage({ dead: data });
    }
  }
}
