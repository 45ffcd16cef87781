/**
 * The journal's file: two fixed-size slots written alternately in place, as
 * a database writes its double-buffered header. Each slot is a 32-byte header
 * (magic "hamonJ3\n", generation u64, length u32, crc32 u32 of the record,
 * 8 reserved) and the record. A save writes the slot holding the older
 * generation, header and record in one pwrite, generation + 1: the newer
 * slot is the journal, the other the previous one, and a torn write fails
 * its CRC and leaves the previous to read.
 *
 * Why in place: the file's blocks are written (zeros) when it is created, so
 * an update needs no new block and succeeds on a full disk (a restart
 * counter is never lost because the disk filled; on copy-on-write file
 * systems such as btrfs this does not hold). Only creating the file, and
 * growing it when a record outgrows its slot, write a new file (renamed over).
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { writeAtomic } from "../sys/atomic.ts";

const MAGIC = Buffer.from("hamonJ3\n", "latin1");
const HEADER_BYTES = 32;
const MIN_SLOT_BYTES = 64 * 1024;
const PAGE_BYTES = 4096;
/** A journal file larger than this is not one of ours (the reader never allocates more). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

interface Slot {
  gen: number;
  record: Buffer | null;
}

function crc(b: Uint8Array): number {
  return Bun.hash.crc32(b) >>> 0;
}

function slotAt(file: Buffer, off: number, slotBytes: number): Slot {
  if (!file.subarray(off, off + 8).equals(MAGIC)) return { gen: -1, record: null };
  const gen = Number(file.readBigUInt64LE(off + 8));
  const len = file.readUInt32LE(off + 16);
  if (len > slotBytes - HEADER_BYTES) return { gen: -1, record: null };
  const record = file.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
  return crc(record) === file.readUInt32LE(off + 20) ? { gen, record } : { gen, record: null };
}

/** The file's two slots when it is a slot file (else null: absent, or the older text layout). */
function layout(file: Buffer): [Slot, Slot] | null {
  if (file.length < 2 * MIN_SLOT_BYTES || file.length % (2 * PAGE_BYTES) !== 0) return null;
  const slotBytes = file.length / 2;
  const a = slotAt(file, 0, slotBytes);
  const b = slotAt(file, slotBytes, slotBytes);
  return a.gen < 0 && b.gen < 0 && !file.subarray(0, 8).equals(MAGIC) ? null : [a, b];
}

function readAll(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) return null;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n <= 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/**
 * The slots of a slot file, newest generation first: each one's record, or
 * null when it fails its CRC (torn) or was never written; null when `path` is
 * absent or not a slot file.
 */
export function readSlots(path: string): (string | null)[] | null {
  const file = readAll(path);
  if (file === null) return null;
  const slots = layout(file);
  if (slots === null) return null;
  return slots.filter((s) => s.gen >= 0).sort((x, y) => y.gen - x.gen).map((s) => (s.record === null ? null : s.record.toString("utf8")));
}

/** Writes `text` as the newest record of the slot file at `path` (creating or growing it when needed). */
export function writeSlot(path: string, text: string, durable: boolean): void {
  const record = Buffer.from(text);
  const file = readAll(path);
  const slots = file === null ? null : layout(file);
  const slotBytes = file === null ? 0 : file.length / 2;
  const gen = slots === null ? 0 : Math.max(slots[0].gen, slots[1].gen);
  if (slots === null || slotBytes < HEADER_BYTES + record.length) return create(path, record, gen + 1, durable);
  // The older (or broken) slot gets the new record: the newer stays, the previous journal.
  const target = slots[0].record === null ? 0 : slots[1].record === null ? 1 : slots[0].gen <= slots[1].gen ? 0 : 1;
  const buf = Buffer.alloc(HEADER_BYTES + record.length);
  header(buf, gen + 1, record);
  record.copy(buf, HEADER_BYTES);
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    let off = 0;
    while (off < buf.length) {
      const n = writeSync(fd, buf, off, buf.length - off, target * slotBytes + off);
      if (n <= 0) throw Object.assign(new Error(`short write: ${off} of ${buf.length} bytes`), { code: "ENOSPC" });
      off += n;
    }
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function header(buf: Buffer, gen: number, record: Buffer): void {
  MAGIC.copy(buf, 0);
  buf.writeBigUInt64LE(BigInt(gen), 8);
  buf.writeUInt32LE(record.length, 16);
  buf.writeUInt32LE(crc(record), 20);
}

/** A new file: both slots' blocks written (zeros), the record in the first; renamed over the old one. */
function create(path: string, record: Buffer, gen: number, durable: boolean): void {
  const need = HEADER_BYTES + record.length;
  let slotBytes = MIN_SLOT_BYTES;
  while (slotBytes < 2 * need) slotBytes *= 2; // room to grow before the next resize
  const file = Buffer.alloc(2 * slotBytes);
  header(file, gen, record);
  record.copy(file, HEADER_BYTES);
  writeAtomic(path, file, 0o640, { durable });
}
