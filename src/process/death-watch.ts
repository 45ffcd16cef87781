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
  private head = 0;
  private readonly one = new BigUint64Array([1n]);

  /** `died(pid)`: on the main thread, once per pid added (unless removed first). */
  constructor(private readonly died: (pid: number) => void) {}

  private start(): boolean {
    if (this.worker) return true;
    if (this.failed) return false;
    this.wake = libc.symbols.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (this.wake < 0) {
      this.failed = true; // no eventfd: the supervisor's liveness poll alone, at its full rate (usable says so)
      return false;
    }
    const w = startWorker("./process/death-worker.ts", new URL("./death-worker.ts", import.meta.url));
    w.onmessage = (m: MessageEvent<{ dead: number }>) => this.died(m.data.dead);
    w.postMessage({ ring: this.ring.buffer, wake: this.wake });
    this.worker = w;
    return true;
  }

  /** False once it could not start: deaths are then seen by the supervisor's poll alone. */
  get usable(): boolean {
    return !this.failed;
  }

  add(pid: number): void {
    if (this.start()) this.push(OP_ADD, pid);
  }

  remove(pid: number): void {
    this.push(OP_REMOVE, pid);
  }

  close(): void {
    this.push(OP_STOP, 0);
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
