/**
 * The demo appliance's simulated fast path (`hamon demo-fastpath`): a writer
 * of a real heartbeat region (docs/heartbeat.md, plain-file transport) whose
 * "cores" beat from a timer, so `npm start` shows the watchdog on a machine
 * with no C compiler. Every `stallEveryMs` one core stops beating for
 * `stallMs` (longer than the monitor's dead_ms): the monitor sees
 * core-suspect, core-dead, restarts the fast path it owns, and attaches the
 * new instance's region.
 *
 * A demo writer, not a model for one: JavaScript has no 64-bit relaxed
 * store, so the beat is written as its low word only (it stays below 2^32
 * for a demo's life). A real fast path uses src/c/hamon_heartbeat.h.
 */
import { closeSync, ftruncateSync, openSync, renameSync, unlinkSync } from "node:fs";
import { processStartTime } from "../sys/proc.ts";
import { fileSizeFor, H, HEADER_BYTES, LAYOUT_MAJOR, MAGIC, S, SLOT_BYTES, SLOT_STATE, W, SW, WRITER_STATE } from "../watchdog/layout.ts";

export interface DemoFastPathOptions {
  path: string;
  cores: number;
  beatMs: number;
  stallEveryMs: number;
  stallMs: number;
}

const crc32 = (b: Uint8Array): number => Bun.hash.crc32(b) >>> 0;


export class DemoFastPath {
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly beats: number[];
  private stalled = -1;
  private stallUntil = 0;
  private nextStall: number;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly o: DemoFastPathOptions) {
    const size = fileSizeFor(o.cores);
    const tmp = `${o.path}.tmp.${process.pid}`;
    const fd = openSync(tmp, "wx", 0o640); // O_CREAT|O_EXCL: never someone else's file
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    try {
      this.u8 = Bun.mmap(tmp, { shared: true }); // the mapping itself (new Uint8Array(...) would copy it)
    } catch (e) {
      unlinkSync(tmp);
      throw e;
    }
    this.u32 = new Uint32Array(this.u8.buffer, this.u8.byteOffset, size / 4);
    const dv = new DataView(this.u8.buffer, this.u8.byteOffset, size);
    for (let i = 0; i < MAGIC.length; i++) this.u8[i] = MAGIC.charCodeAt(i);
    dv.setUint16(H.major, LAYOUT_MAJOR, true);
    dv.setUint32(H.headerSize, HEADER_BYTES, true);
    dv.setUint32(H.slotSize, SLOT_BYTES, true);
    dv.setUint32(H.slotCount, o.cores, true);
    dv.setUint32(H.fileSize, size, true);
    crypto.getRandomValues(this.u8.subarray(H.instanceId, H.instanceId + 8));
    if (dv.getBigUint64(H.instanceId, true) === 0n) dv.setUint8(H.instanceId, 1);
    dv.setUint32(H.writerPid, process.pid, true);
    dv.setBigUint64(H.startTicks, BigInt(processStartTime(process.pid) ?? 0), true); // the reader's writer-gone check
    dv.setUint32(H.beatHintUs, o.beatMs * 1_000, true);
    for (let i = 0; i < o.cores; i++) {
      const base = HEADER_BYTES + i * SLOT_BYTES;
      dv.setUint32(base + S.lcoreId, i + 1, true);
      const name = `demo${i}`;
      for (let k = 0; k < name.length; k++) this.u8[base + S.name + k] = name.charCodeAt(k);
      dv.setUint32(base + S.metaCrc, crc32(this.u8.subarray(base + S.lcoreId, base + S.metaCrc)), true);
      this.u32[W.slotBase + i * W.slotWords + SW.launchGen] = 1;
      this.u32[W.slotBase + i * W.slotWords + SW.state] = SLOT_STATE.RUNNING;
      this.u32[W.slotBase + i * W.slotWords + SW.stateSeq] = 1;
    }
    dv.setUint32(H.headerCrc, crc32(this.u8.subarray(0, H.headerCrc)), true);
    this.u32[W.writerState] = WRITER_STATE.RUNNING; // before the rename: a reader never sees INIT published
    renameSync(tmp, o.path);
    this.beats = new Array<number>(o.cores).fill(0);
    this.nextStall = performance.now() + o.stallEveryMs;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(performance.now()), this.o.beatMs);
  }

  /** One "loop iteration" of every core: a beat, except for the stalled one. */
  private tick(now: number): void {
    if (this.stalled < 0 && now >= this.nextStall) {
      this.stalled = Math.floor(Math.random() * this.o.cores);
      this.stallUntil = now + this.o.stallMs;
      process.stderr.write(`demo-fastpath: core ${this.stalled} stalls for ${this.o.stallMs} ms\n`);
    } else if (this.stalled >= 0 && now >= this.stallUntil) {
      this.stalled = -1;
      this.nextStall = now + this.o.stallEveryMs;
    }
    for (let i = 0; i < this.beats.length; i++) {
      if (i === this.stalled) continue;
      this.u32[W.slotBase + i * W.slotWords + SW.beatLo] = ++this.beats[i]!;
    }
  }

  /** Clean stop: every slot EXITED, then the tombstone (the monitor reports the cores unmonitored, not dead). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.u32[W.writerState] = WRITER_STATE.STOPPING;
    for (let i = 0; i < this.beats.length; i++) {
      const s = W.slotBase + i * W.slotWords;
      this.u32[s + SW.state] = SLOT_STATE.EXITED;
      this.u32[s + SW.stateSeq] = this.u32[s + SW.stateSeq]! + 1;
    }
    this.u32[W.writerState] = WRITER_STATE.STOPPED_CLEAN;
  }
}
