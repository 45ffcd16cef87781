/**
 * The main thread's side of the death watcher (death-worker.ts): adopted and
 * attached processes, which are not our children, are seen to die the moment
 * they do, through a pidfd each, not 100 ms later by a kill(0) poll that a
 * zombie still passes. add/remove write the shared ring and poke the
 * worker's eventfd: one small write, never a wait.
 *
 * @example
 *   const w = new DeathWatch((pid) => sup.died(pid)); w.add(4242); … w.close();
 */
import { ptr } from "bun:ffi";
import { libc } from "../sys/libc.ts";
import { startWorker } from "../sys/worker.ts";
import { OP_ADD, OP_REMOVE, OP_STOP, RING_CAPACITY } from "./death-ring.ts";

const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

export class DeathWatch {
  private readonly ring = new Int32Array(new SharedArrayBuffer(4 * (1 + 2 * RING_CAPACITY)));
  /** Started at the first add: a monitor that never adopts a process carries no thread (nor its heap) for it. */
  private worker: Worker | null = null;
  private wake = -1;
  private failed = false;
  private closing = false;
  /** Settles once the thread has ended (asked or not). */
  private ended: Promise<void> = Promise.resolve();
  private head = 0;
  private readonly one = new BigUint64Array([1n]);

  /**
   * `died(pid)`: on the main thread, once per pid added (unless removed
   * first). `watching(pid)`: its pidfd is open; the caller checks the pid is
   * still the process it added (start time), which closes the one gap a
   * pidfd leaves (a pid reused before it was opened).
   */
  constructor(private readonly died: (pid: number) => void, private readonly watching: (pid: number) => void = () => {}) {}

  private start(): boolean {
    if (this.worker) return true;
    if (this.failed) return false;
    this.wake = libc.symbols.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (this.wake < 0) {
      this.failed = true; // no eventfd: the supervisor's liveness poll alone, at its full rate (usable says so)
      return false;
    }
    const w = startWorker("./process/death-worker.ts", new URL("./death-worker.ts", import.meta.url));
    w.onmessage = (m: MessageEvent<{ dead: number } | { watching: number }>) => ("dead" in m.data ? this.died(m.data.dead) : this.watching(m.data.watching));
    // A watcher that dies (it should not: it only blocks in the kernel) leaves deaths to the
    // supervisor's poll, at its full rate again: `usable` turns false.
    w.addEventListener("error", () => this.lost());
    this.ended = new Promise((resolve) => w.addEventListener("close", () => (this.lost(), resolve())));
    w.postMessage({ ring: this.ring.buffer, wake: this.wake });
    this.worker = w;
    return true;
  }

  /** False once it could not start, or its thread ended unasked: deaths are then seen by the supervisor's poll alone. */
  get usable(): boolean {
    return !this.failed;
  }

  private lost(): void {
    if (this.closing) return;
    this.failed = true; // the supervisor's poll, which reads `usable` for its period, is at its full rate from its next look (within the loop's 5 s)
    this.worker = null;
  }

  add(pid: number): void {
    if (this.start()) this.push(OP_ADD, pid);
  }

  remove(pid: number): void {
    this.push(OP_REMOVE, pid);
  }

  /** Asks the thread to stop; `stopped()` settles when it has. A stop asked for is not a loss: `usable` stays true. */
  close(): void {
    this.closing = true;
    this.push(OP_STOP, 0);
  }

  stopped(): Promise<void> {
    return this.ended;
  }

  private push(op: number, pid: number): void {
    if (!this.worker) return;
    const i = 1 + 2 * (this.head % RING_CAPACITY);
    this.ring[i] = op;
    this.ring[i + 1] = pid;
    Atomics.store(this.ring, 0, ++this.head);
    libc.symbols.write(this.wake, ptr(this.one), 8); // an eventfd write of 8 bytes never blocks (EFD_NONBLOCK; the counter cannot overflow here)
  }
}
