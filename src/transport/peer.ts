/**
 * One framed, message-level connection over a Bun socket, either side.
 *
 * Owns the incremental frame decoder and the outgoing queue: Bun's
 * `socket.write` is unbuffered and silently drops what the kernel did not take,
 * so a short write keeps the remainder here and `drain` flushes it. A peer
 * whose queue passes its cap (MAX_PENDING_WRITE_BYTES, or less for a
 * subscriber) is not reading: it is cut off so it cannot make the monitor hold
 * its memory; an OutputBudget bounds all peers' queues together. Bad frames
 * get an `<error>` reply; past MAX_BAD_FRAMES, or on a fatal framing error,
 * the connection is closed. It also remembers since when a frame has been
 * left incomplete, so a peer trickling bytes can be cut off (server sweep).
 */
import type { Socket } from "bun";
import { decode, encode } from "../protocol/codec.ts";
import { FrameDecoder, encodeFrame } from "../protocol/framing.ts";
import type { ErrorCode } from "../protocol/errors.ts";
import { MAX_BAD_FRAMES, MAX_FRAME_BYTES, MAX_PENDING_WRITE_BYTES } from "../protocol/limits.ts";
import type { Message } from "../protocol/messages.ts";
import type { BudgetHolder, OutputBudget } from "./budget.ts";

export interface PeerHandler {
  message(peer: Peer, msg: Message): void;
  /** A frame was refused; the peer was already sent an `<error>`. */
  refused?(peer: Peer, code: ErrorCode, message: string): void;
  /** A frame began and is not complete yet (its deadline starts: the owner sweeps for it). */
  partial?(peer: Peer): void;
  close(peer: Peer, reason: string): void;
}

export interface PeerOptions {
  maxFrameBytes?: number;
  maxPendingBytes?: number;
  maxBadFrames?: number;
  /** Shared cap on the bytes queued for all peers (the monitor's listener). */
  budget?: OutputBudget;
  /** Clock for `openedAt`/`partialSince` (monotonic ms). */
  now?: () => number;
}

export class Peer implements BudgetHolder {
  /** Free slot for the owner (registry entry, pending requests...). */
  context: unknown = undefined;
  private readonly frames: FrameDecoder;
  private queue: Uint8Array[] = [];
  private pending = 0;
  private badFrames = 0;
  private closed = false;
  private closeReason = "";
  private maxPending: number;
  private readonly maxBad: number;
  private readonly budget: OutputBudget | null;
  private readonly now: () => number;
  readonly received = { frames: 0, bytes: 0 };
  /** When the connection opened (monotonic ms). */
  readonly openedAt: number;
  /** Since when a frame has been only partly received; -1 when none is. */
  partialSince = -1;

  constructor(
    private readonly socket: Socket<Peer>,
    private readonly handler: PeerHandler,
    opts: PeerOptions = {},
  ) {
    this.frames = new FrameDecoder(opts.maxFrameBytes ?? MAX_FRAME_BYTES);
    this.maxPending = opts.maxPendingBytes ?? MAX_PENDING_WRITE_BYTES;
    this.maxBad = opts.maxBadFrames ?? MAX_BAD_FRAMES;
    this.budget = opts.budget ?? null;
    this.now = opts.now ?? (() => performance.now());
    this.openedAt = this.now();
  }

  /** Lowers this peer's queue cap (a subscriber is cut off sooner than a component). */
  limitPending(bytes: number): void {
    this.maxPending = Math.min(this.maxPending, bytes);
  }

  /** Sends an already framed message (one encoding shared by every subscriber of an event). */
  sendFrame(frame: Uint8Array): boolean {
    if (this.closed) return false;
    return this.write(frame);
  }

  shed(reason: string): void {
    this.close(`peer is ${reason}`);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get pendingBytes(): number {
    return this.pending;
  }

  /** The OS file descriptor (used for SO_PEERCRED); -1 if unknown. */
  get fd(): number {
    const fd = (this.socket as unknown as { fd?: number }).fd;
    return typeof fd === "number" ? fd : -1;
  }

  /** Sends one message. Returns false if the connection is closed or was just cut off for not reading. */
  send(msg: Message): boolean {
    if (this.closed) return false;
    return this.write(encodeFrame(encode(msg)));
  }

  /** Feeds bytes from the socket. Called by the socket's `data` handler. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.received.bytes += chunk.length;
    this.frames.push(chunk);
    for (;;) {
      const f = this.frames.next();
      if (f === null) {
        // Bytes of an unfinished frame: since when? (A complete frame resets it.)
        if (this.frames.buffered === 0) this.partialSince = -1;
        else if (this.partialSince < 0) {
          this.partialSince = this.now();
          this.handler.partial?.(this);
        }
        return;
      }
      this.partialSince = -1;
      if (typeof f === "string") {
        this.received.frames++;
        const r = decode(f);
        if (r.ok) this.handler.message(this, r.msg);
        else this.refuse(r.code, r.message, r.id);
      } else if (f.fatal) {
        this.send({ type: "error", id: 0, code: f.code, message: f.message });
        this.handler.refused?.(this, f.code, f.message);
        this.close(`${f.code}: ${f.message}`);
      } else {
        this.refuse("E_MALFORMED", f.message, 0);
      }
      if (this.closed) return;
    }
  }

  /** Flushes queued output. Called by the socket's `drain` handler. */
  drain(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      const n = this.socket.write(head);
      if (n < 0) return this.close("write failed: socket closed");
      this.pending -= Math.max(n, 0);
      this.budget?.release(this, Math.max(n, 0), this.pending === 0);
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
  }

  /** Closes the connection once; the handler's `close` runs exactly once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.queue = [];
    this.budget?.release(this, this.pending, true);
    this.pending = 0;
    try {
      this.socket.end();
    } catch {
      /* already gone */
    }
    this.handler.close(this, reason);
  }

  /** Called by the socket's `close` handler: the other side went away. */
  socketClosed(): void {
    this.close(this.closeReason || "peer closed the connection");
  }

  private refuse(code: ErrorCode, message: string, id: number): void {
    this.badFrames++;
    this.send({ type: "error", id, code, message });
    this.handler.refused?.(this, code, message);
    if (this.badFrames > this.maxBad) this.close(`more than ${this.maxBad} refused frames (last: ${code}: ${message})`);
  }

  private write(buf: Uint8Array): boolean {
    if (this.queue.length === 0) {
      const n = this.socket.write(buf);
      if (n < 0) {
        this.close("write failed: socket closed");
        return false;
      }
      if (n === buf.length) return true;
      buf = buf.subarray(n);
    }
    if (this.pending + buf.length > this.maxPending) {
      this.close(`peer is not reading: more than ${this.maxPending} bytes pending`);
      return false;
    }
    if (this.budget && !this.budget.charge(this, buf.length)) return false;
    this.queue.push(buf);
    this.pending += buf.length;
    return true;
  }
}

/** Socket handlers that route Bun's callbacks to the Peer stored in `socket.data`. */
export const peerSocketHandlers = {
  data(socket: Socket<Peer>, chunk: Uint8Array) {
    socket.data?.receive(chunk);
  },
  drain(socket: Socket<Peer>) {
    socket.data?.drain();
  },
  close(socket: Socket<Peer>) {
    socket.data?.socketClosed();
  },
  error(socket: Socket<Peer>) {
    socket.data?.socketClosed();
  },
};
