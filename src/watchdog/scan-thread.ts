/**
 * The watchdog's own thread, main side. The hot scan of every heartbeat
 * region runs on a Worker (scan-worker.ts) with its own descriptor and
 * mapping of each region, on its own clock: socket floods, journal writes,
 * spawns and `/metrics` on the main loop no longer delay a poll. The Worker
 * posts verdict changes only; their evidence (verdicts, clocks) is shared
 * memory the main thread reads for views. Optionally pinned to a CPU and run
 * SCHED_FIFO: that thread alone, never the whole monitor.
 *
 * Commands go through a MessagePort the Worker drains with
 * receiveMessageOnPort after an Atomics.notify, so the Worker sleeps in one
 * futex wait between polls (precise to about 0.1 ms, no timer object per
 * poll) and wakes at once for a command.
 *
 * @example
 *   const t = new ScanThread({ tickMs: 1, cpu: -1, priority: 0, starvedAfterMs: 250, starved, log });
 *   const s = t.attach(region, metaOk, slots, bytes, policy, onTransition, lost); … s.close(); … t.close();
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { startWorker } from "../sys/worker.ts";
import { assessShare, assessShareBytes, type AssessPolicy, type AssessShare } from "./assess.ts";
import type { Region } from "./region.ts";
import type { OnTransition, Scanner } from "./scanner.ts";

export interface ScanThreadOptions {
  readonly tickMs: number;
  /** Pin the thread to this CPU; -1: wherever the kernel puts it. */
  readonly cpu: number;
  /** SCHED_FIFO priority for the thread (1..99); 0: normal scheduling. */
  readonly priority: number;
  /** A poll this late (ms) means the watchdog itself was starved. */
  readonly starvedAfterMs: number;
  starved(lateMs: number): void;
  log(level: "info" | "warn" | "error", msg: string, fields: Record<string, string | number>): void;
}

interface Client {
  on: OnTransition;
  /** The thread lost the region: unreadable or truncated (`died` false: corrupt), or the thread died (`died`: attach again). */
  lost(why: string, died: boolean): void;
}

/** Messages from the Worker (scan-worker.ts). */
export type FromWorker =
  | { op: "t"; id: number; t: number[]; reason: string; at: number }
  | { op: "lost"; id: number; why: string }
  | { op: "closed"; id: number }
  | { op: "late"; ms: number }
  | { op: "sched"; said: string; ok: boolean }
  | { op: "stopped" };

export class ScanThread {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  /** [0]: command count (the Worker waits on it). */
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4));
  private readonly clients = new Map<number, Client>();
  private nextId = 1;

  constructor(private readonly o: ScanThreadOptions) {}

  /** Hands `region` to the thread (a descriptor of its own); null if it could not be. */
  attach(region: Region, path: string, metaOk: Uint8Array, slots: number, scanBytes: number, policy: AssessPolicy, on: OnTransition, lost: (why: string, died: boolean) => void): Scanner | null {
    const fd = region.dup();
    if (fd < 0) return null;
    this.start();
    const id = this.nextId++;
    const buf = new SharedArrayBuffer(assessShareBytes(slots));
    const share = assessShare(buf, slots);
    share.lastChange.fill(performance.now()); // read for views before the thread's first scan
    this.clients.set(id, { on, lost });
    const p = { suspectMs: policy.suspectMs, deadMs: policy.deadMs, idleSlackMs: policy.idleSlackMs, pollMs: policy.pollMs, lateFactor: policy.lateFactor ?? 3 };
    this.send({ op: "attach", id, fd, path, buf, slots, scanBytes, metaOk: new Uint8Array(metaOk), policy: p });
    return new ThreadScanner(this, id, share);
  }

  /** Commands for one region (ThreadScanner). */
  send(cmd: Record<string, unknown>): void {
    if (!this.port) return;
    this.port.postMessage(cmd);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
  }

  /** Stops the thread: it closes its descriptors, then ends. */
  close(): void {
    this.send({ op: "stop" });
    this.port = null;
    this.clients.clear();
  }

  private start(): void {
    if (this.worker) return;
    const w = startWorker("./watchdog/scan-worker.ts", new URL("./scan-worker.ts", import.meta.url));
    const ch = new MessageChannel();
    w.onmessage = (m: MessageEvent<FromWorker>) => this.heard(w, m.data);
    w.onerror = (e) => this.died(w, e.message);
    const o = this.o;
    w.postMessage({ ctl: this.ctl.buffer, port: ch.port2, tickMs: o.tickMs, cpu: o.cpu, priority: o.priority, starvedAfterMs: o.starvedAfterMs, origin: performance.timeOrigin }, [ch.port2] as never);
    this.worker = w;
    this.port = ch.port1;
  }

  private heard(w: Worker, m: FromWorker): void {
    switch (m.op) {
      case "t": {
        const c = this.clients.get(m.id);
        if (c) for (let k = 0; k + 1 < m.t.length; k += 2) c.on(m.t[k]!, m.t[k + 1]!, m.reason, m.at);
        return;
      }
      case "lost":
        this.clients.get(m.id)?.lost(m.why, false);
        return;
      case "closed":
        this.clients.delete(m.id);
        return;
      case "late":
        this.o.starved(m.ms);
        return;
      case "sched":
        this.o.log(m.ok ? "info" : "warn", "watchdog thread", { scheduling: m.said });
        return;
      case "stopped":
        if (w === this.worker) this.worker = null;
        w.terminate();
    }
  }

  /** The thread died (an exception in it): every region is dropped; the next attach starts a new thread. */
  private died(w: Worker, why: string): void {
    if (w !== this.worker) return;
    this.o.log("error", "watchdog thread failed; regions attached again on a new one", { error: why });
    this.worker = null;
    this.port = null;
    const lost = [...this.clients.values()];
    this.clients.clear();
    w.terminate();
    for (const c of lost) c.lost(`the watchdog thread failed: ${why}`, true);
  }
}

/** One region scanned on the thread: views read the shared evidence; commands go to the thread. */
class ThreadScanner implements Scanner {
  readonly local = false;
  constructor(private readonly t: ScanThread, private readonly id: number, private readonly share: AssessShare) {}

  get verdict(): Uint8Array {
    return this.share.verdict;
  }
  get lateScans(): number {
    return this.share.late[0]!;
  }
  ageMs(i: number, now: number): number {
    return now - this.share.lastChange[i]!;
  }
  scan(): void {}
  setAll(v: number, reason: string, hold = false): void {
    this.t.send({ op: "all", id: this.id, v, reason, hold });
  }
  /** Its transitions still in flight are delivered; the thread then says "closed". */
  close(): void {
    this.t.send({ op: "close", id: this.id });
  }
}
