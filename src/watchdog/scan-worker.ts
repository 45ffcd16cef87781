/**
 * The watchdog's thread (a Worker; its main side is scan-thread.ts). One
 * loop: scan every region, sleep in one futex wait until the next poll or a
 * command, drain the commands. Nothing else runs here, so a poll is never
 * behind other work. Per poll it allocates nothing: the scans are the pure
 * Assessor's over typed arrays, the clock is performance.now(), the sleep is
 * Atomics.wait; a message is built only when a verdict changes.
 *
 * Its clock is the main thread's `performance.now()` (offset by the two
 * time origins), so the shared `lastChange` reads the same on both sides.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { Assessor, assessShare, type AssessPolicy } from "./assess.ts";
import { W } from "./layout.ts";
import { regionFromFd, type Region } from "./region.ts";

declare const self: Worker;

interface Init { ctl: SharedArrayBuffer; port: MessagePort; tickMs: number; cpu: number; priority: number; starvedAfterMs: number; origin: number }
/** `region` null: it could not be read here (its verdicts can still be set: see attach). */
interface Watched { id: number; region: Region | null; a: Assessor; bytes: number; live: boolean }
type Command =
  | { op: "attach"; id: number; fd: number; path: string; buf: SharedArrayBuffer; slots: number; scanBytes: number; metaOk: Uint8Array; policy: AssessPolicy }
  | { op: "all"; id: number; v: number; reason: string; hold: boolean }
  | { op: "close"; id: number }
  | { op: "stop" };

const SCHED_FIFO = 1;
const CPU_SET_BYTES = 128; // 1,024 CPUs

/** Pin and raise this thread only (pid 0: the calling thread); said to the main side, which logs it. */
function schedule(cpu: number, priority: number): void {
  if (cpu < 0 && priority <= 0) return;
  const libc = dlopen("libc.so.6", {
    sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  });
  const said: string[] = [];
  let ok = true;
  if (cpu >= 0) {
    const mask = new Uint8Array(CPU_SET_BYTES);
    mask[cpu >> 3] = 1 << (cpu & 7);
    const r = libc.symbols.sched_setaffinity(0, CPU_SET_BYTES, ptr(mask));
    ok &&= r === 0;
    said.push(r === 0 ? `pinned to CPU ${cpu}` : `could not pin to CPU ${cpu} (is it online and in the monitor's cpuset?)`);
  }
  if (priority > 0) {
    const param = new Int32Array([priority]);
    const r = libc.symbols.sched_setscheduler(0, SCHED_FIFO, ptr(param));
    ok &&= r === 0;
    said.push(r === 0 ? `SCHED_FIFO priority ${priority}` : `could not set SCHED_FIFO priority ${priority} (CAP_SYS_NICE, or a cgroup without real-time budget)`);
  }
  libc.close();
  postMessage({ op: "sched", said: said.join("; "), ok });
}

function run(o: Init): void {
  const ctl = new Int32Array(o.ctl);
  const offset = performance.timeOrigin - o.origin;
  const list: Watched[] = [];
  schedule(o.cpu, o.priority);
  const said = (e: Watched, reason: string, t: number) => {
    const out: number[] = [];
    for (let k = 0; k < e.a.transitionCount; k++) out.push(e.a.transitionSlot(k), e.a.transitionVerdict(k));
    postMessage({ op: "t", id: e.id, t: out, reason, at: Math.round(o.origin + t) }); // whole Unix ms, as every event time
  };
  const find = (id: number) => list.findIndex((e) => e.id === id);
  /** One command; false: stop. */
  const command = (c: Command, t: number): boolean => {
    switch (c.op) {
      case "attach": {
        const r = regionFromFd(c.fd, c.path); // owns the descriptor from here
        // Unreadable here though the main thread just read it: it shrank or changed in between. Kept
        // without a region, so the verdict the main side then sets (corrupt) is still decided here, once.
        const words = r.ok ? r.region.u32 : new Uint32Array(W.slotBase + c.slots * W.slotWords);
        list.push({ id: c.id, region: r.ok ? r.region : null, a: new Assessor(words, c.metaOk, c.slots, c.policy, assessShare(c.buf, c.slots)), bytes: c.scanBytes, live: r.ok });
        if (!r.ok) postMessage({ op: "lost", id: c.id, why: `the heartbeat file changed as it was handed to the watchdog's thread (truncated or replaced): ${r.reason}` });
        return true;
      }
      case "all": {
        const i = find(c.id);
        if (i < 0) return true;
        const e = list[i]!;
        if (e.a.setAll(c.v) > 0) said(e, c.reason, t);
        if (c.hold) e.live = false;
        return true;
      }
      case "close": {
        const i = find(c.id);
        if (i >= 0) list.splice(i, 1)[0]!.region?.close();
        postMessage({ op: "closed", id: c.id });
        return true;
      }
      case "stop":
        for (const e of list) e.region?.close();
        postMessage({ op: "stopped" });
        return false;
    }
  };
  let seen = 0;
  let planned = -1;
  for (;;) {
    const t = performance.now() + offset;
    if (planned >= 0 && t - planned > o.starvedAfterMs) postMessage({ op: "late", ms: t - planned });
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (!e.live || !e.region) continue;
      if (!e.region.refresh(e.bytes)) {
        e.live = false;
        postMessage({ op: "lost", id: e.id, why: "the heartbeat file shrank (truncated): stopped reading it until a new one is published" });
        continue;
      }
      if (e.a.scan(t) > 0) said(e, "", t);
    }
    let live = false;
    for (let i = 0; i < list.length; i++) live ||= list[i]!.live;
    // Nothing to watch: asleep until a command (no wake-ups at all).
    planned = live ? t + o.tickMs : -1;
    Atomics.wait(ctl, 0, seen, live ? Math.max(0, planned - (performance.now() + offset)) : Infinity);
    const c = Atomics.load(ctl, 0);
    if (c === seen) continue;
    seen = c;
    const now = performance.now() + offset;
    for (let m = receiveMessageOnPort(o.port); m; m = receiveMessageOnPort(o.port)) {
      if (!command(m.message as Command, now)) return;
    }
    // Woken early for a command: the next poll keeps its time (not late, not early).
    if (planned >= 0 && now < planned) Atomics.wait(ctl, 0, seen, planned - now);
  }
}

self.onmessage = (m: MessageEvent<Init>) => {
  self.onmessage = null;
  run(m.data);
};
