/**
 * Heartbeat file layout v1 (docs/heartbeat.md is normative; src/c/hamon_heartbeat.h
 * is the C side, with a _Static_assert on every offset). Pure: offsets,
 * enums, and validation of a mapped header against the real file size.
 *
 * Little-endian, natural alignment. Header 256 B, then one 128 B slot per
 * core: a hot cache line written only by that core, a cold line written once
 * before publication and covered by a CRC.
 */
export const MAGIC = "FPHBEAT1";
export const LAYOUT_MAJOR = 1;
export const HEADER_BYTES = 256;
export const SLOT_BYTES = 128;
export const MAX_SLOTS = 1024;
export const PAGE_BYTES = 4096;
export const MAX_FILE_BYTES = 1024 * 1024;

/** Byte offsets in the header. */
export const H = {
  magic: 0, major: 8, minor: 10, headerSize: 12, slotSize: 16, slotCount: 20, fileSize: 24,
  instanceId: 32, writerPid: 40, flags: 44, startTicks: 48, beatHintUs: 56, headerCrc: 60,
  writerState: 64, controlBeat: 72,
} as const;
/** Byte offsets within a slot. */
export const S = { beat: 0, state: 8, stateSeq: 12, launchGen: 16, maxIdleMs: 20, work: 24, busyTsc: 32, totalTsc: 40, lcoreId: 64, socketId: 68, name: 72, metaCrc: 124 } as const;
export const SLOT_NAME_BYTES = 16;

/** 32-bit word indices into a Uint32Array over the mapping (plain loads: see assess.ts). */
export const W = { writerState: H.writerState / 4, slotBase: HEADER_BYTES / 4, slotWords: SLOT_BYTES / 4 } as const;
export const SW = { beatLo: 0, beatHi: 1, state: 2, stateSeq: 3, launchGen: 4, maxIdleMs: 5, work: 6, busyTsc: 8, totalTsc: 10 } as const;

export const SLOT_STATE = { UNUSED: 0, RUNNING: 1, IDLE: 2, PARKED: 3, EXITED: 4 } as const;
export const SLOT_STATE_NAMES = ["unused", "running", "idle", "parked", "exited"] as const;
export const WRITER_STATE = { INIT: 0, RUNNING: 1, STOPPING: 2, STOPPED_CLEAN: 3 } as const;
export const FLAG_SEALED_MEMFD = 1;
/** Minor 1: `work` counts items of work done (packets): a slow core is told from a loaded one (watchdog/pace.ts). */
export const FLAG_WORK = 4;
/** Minor 1: `busy_tsc` and `total_tsc` are kept: an overloaded core is named. */
export const FLAG_USAGE = 8;

export interface HeaderInfo {
  readonly slotCount: number;
  readonly fileSize: number;
  /** Hex string of the 64-bit random instance id (new per writer start). */
  readonly instanceId: string;
  readonly writerPid: number;
  readonly flags: number;
  /** Writer's start time (clock ticks since boot, /proc/PID/stat field 22), as a JS number. */
  readonly startTicks: number;
  readonly beatHintUs: number;
}

export type HeaderResult = { ok: true; header: HeaderInfo } | { ok: false; reason: string };

const crc32 = (b: Uint8Array): number => Bun.hash.crc32(b) >>> 0;

/** Validates the header of a mapped file of `size` bytes. Never throws, whatever the bytes. */
export function validateHeader(u8: Uint8Array, size: number): HeaderResult {
  if (size < PAGE_BYTES || size > MAX_FILE_BYTES || size % PAGE_BYTES !== 0) return bad(`file size ${size} is not a multiple of ${PAGE_BYTES} in [${PAGE_BYTES}, ${MAX_FILE_BYTES}]`);
  if (u8.length < size) return bad(`mapping is ${u8.length} bytes, file is ${size}`);
  const dv = new DataView(u8.buffer, u8.byteOffset, HEADER_BYTES);
  for (let i = 0; i < MAGIC.length; i++) if (u8[i] !== MAGIC.charCodeAt(i)) return bad("bad magic (expected FPHBEAT1)");
  const major = dv.getUint16(H.major, true);
  if (major !== LAYOUT_MAJOR) return bad(`layout major ${major} is not supported (expected ${LAYOUT_MAJOR})`);
  if (dv.getUint32(H.headerSize, true) !== HEADER_BYTES) return bad(`header_size ${dv.getUint32(H.headerSize, true)} ≠ ${HEADER_BYTES}`);
  if (dv.getUint32(H.slotSize, true) !== SLOT_BYTES) return bad(`slot_size ${dv.getUint32(H.slotSize, true)} ≠ ${SLOT_BYTES}`);
  const n = dv.getUint32(H.slotCount, true);
  if (n < 1 || n > MAX_SLOTS) return bad(`slot_count ${n} outside 1..${MAX_SLOTS}`);
  const fsLo = dv.getUint32(H.fileSize, true);
  const fsHi = dv.getUint32(H.fileSize + 4, true);
  if (fsHi !== 0 || fsLo !== size) return bad(`file_size field ${fsHi * 2 ** 32 + fsLo} ≠ real size ${size}`);
  if (HEADER_BYTES + n * SLOT_BYTES > size) return bad(`${n} slots do not fit in ${size} bytes`);
  const crc = dv.getUint32(H.headerCrc, true);
  if (crc32(u8.subarray(0, H.headerCrc)) !== crc) return bad("header CRC mismatch");
  const idLo = dv.getUint32(H.instanceId, true);
  const idHi = dv.getUint32(H.instanceId + 4, true);
  if (idLo === 0 && idHi === 0) return bad("instance_id is 0");
  return {
    ok: true,
    header: {
      slotCount: n, fileSize: size,
      instanceId: idHi.toString(16).padStart(8, "0") + idLo.toString(16).padStart(8, "0"),
      writerPid: dv.getUint32(H.writerPid, true), flags: dv.getUint32(H.flags, true),
      startTicks: dv.getUint32(H.startTicks + 4, true) * 2 ** 32 + dv.getUint32(H.startTicks, true),
      beatHintUs: dv.getUint32(H.beatHintUs, true),
    },
  };
}

/**
 * True when slot `i`'s cold line matches its CRC (checked once per mapping,
 * not per poll), or is all zero: a spare slot left zeroed is simply unused
 * (docs/heartbeat.md §2), it needs no CRC.
 */
export function slotMetaOk(u8: Uint8Array, i: number): boolean {
  const base = HEADER_BYTES + i * SLOT_BYTES;
  let zero = true;
  for (let k = base + S.lcoreId; k < base + SLOT_BYTES && zero; k++) zero = u8[k] === 0;
  if (zero) return true;
  const stored = new DataView(u8.buffer, u8.byteOffset + base + S.metaCrc, 4).getUint32(0, true);
  return crc32(u8.subarray(base + S.lcoreId, base + S.metaCrc)) === stored;
}

/** The slot's name: at most 16 bytes, NUL-terminated, non-printables replaced. */
export function slotName(u8: Uint8Array, i: number): string {
  const base = HEADER_BYTES + i * SLOT_BYTES + S.name;
  let s = "";
  for (let k = 0; k < SLOT_NAME_BYTES; k++) {
    const c = u8[base + k]!;
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "?";
  }
  return s;
}

export function slotLcore(u8: Uint8Array, i: number): number {
  return new DataView(u8.buffer, u8.byteOffset + HEADER_BYTES + i * SLOT_BYTES + S.lcoreId, 4).getUint32(0, true);
}

/** File size for `n` slots: header + slots, rounded up to a page. */
export function fileSizeFor(n: number): number {
  return Math.ceil((HEADER_BYTES + n * SLOT_BYTES) / PAGE_BYTES) * PAGE_BYTES;
}

function bad(reason: string): HeaderResult {
  return { ok: false, reason };
}
