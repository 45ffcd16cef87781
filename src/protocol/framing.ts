/**
 * Length-prefixed framing: each frame is a 4-byte big-endian length N followed
 * by N bytes of UTF-8 XML. `FrameDecoder` is incremental: feed it whatever the
 * socket delivered (a partial header, several frames coalesced, one byte at a
 * time) and it yields complete frames. A length of 0 or above the maximum is a
 * fatal error for the connection, because the stream cannot be resynchronised.
 *
 * @example
 *   const d = new FrameDecoder();
 *   d.push(encodeFrame('<ok id="1"/>'));
 *   d.next() // '<ok id="1"/>'
 */
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from "./limits.ts";

export type FrameError = { fatal: true; code: "E_TOO_LARGE" | "E_MALFORMED"; message: string };

const INITIAL_BUFFER_BYTES = 512;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Encodes one XML document as a frame. Throws RangeError above the maximum: that is our bug. */
export function encodeFrame(xml: string, maxBytes = MAX_FRAME_BYTES): Uint8Array {
  const n = Buffer.byteLength(xml, "utf8");
  if (n > maxBytes) throw new RangeError(`frame of ${n} bytes exceeds the ${maxBytes}-byte maximum`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n);
  out.writeUInt32BE(n, 0);
  out.write(xml, FRAME_HEADER_BYTES, "utf8");
  return out;
}

export class FrameDecoder {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private failed: FrameError | null = null;

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {
    // Small to start: most messages are under 256 B, and a monitor holds a
    // decoder per connection (1,000+). It grows on demand up to one maximal frame.
    this.buf = new Uint8Array(Math.min(INITIAL_BUFFER_BYTES, maxBytes + FRAME_HEADER_BYTES));
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** The fatal error, once one occurred; after it the decoder yields nothing. */
  get error(): FrameError | null {
    return this.failed;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) return;
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end + chunk.length > this.buf.length) this.makeRoom(chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * The next complete frame as a string, null when more bytes are needed, or a
   * FrameError (fatal: stop reading and close). Invalid UTF-8 is reported as a
   * non-fatal `{ fatal: false }` so the caller can answer E_MALFORMED and go on.
   */
  next(): string | null | FrameError | { fatal: false; message: string } {
    if (this.failed) return this.failed;
    const avail = this.end - this.start;
    if (avail < FRAME_HEADER_BYTES) return null;
    const b = this.buf;
    const s = this.start;
    const len = ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!) >>> 0;
    if (len === 0) return this.fail("E_MALFORMED", "empty frame (length 0)");
    if (len > this.maxBytes) return this.fail("E_TOO_LARGE", `frame length ${len} exceeds the ${this.maxBytes}-byte maximum`);
    if (avail < FRAME_HEADER_BYTES + len) return null;
    const body = b.subarray(s + FRAME_HEADER_BYTES, s + FRAME_HEADER_BYTES + len);
    this.start += FRAME_HEADER_BYTES + len;
    try {
      return utf8.decode(body);
    } catch {
      return { fatal: false, message: "frame is not valid UTF-8" };
    }
  }

  private fail(code: FrameError["code"], message: string): FrameError {
    this.failed = { fatal: true, code, message };
    this.buf = new Uint8Array(0);
    this.start = this.end = 0;
    return this.failed;
  }

  /** Compacts, then grows (doubling, capped at one maximal frame plus one read) when still short. */
  private makeRoom(extra: number): void {
    const live = this.end - this.start;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = live;
    }
    if (live + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < live + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, live));
    this.buf = grown;
  }
}
