/**
 * The monitor's journal: what a restarted monitor needs to continue where
 * the last one stopped. Escalation counters, quarantines and grace periods
 * (the engine state), which dynamic components are active, the pid and start
 * time of every daemon hamon owns, and the event sequence reserved so far.
 *
 * Format (version 2): one line of JSON, then a trailer line
 * `#hamon-journal crc32=XXXXXXXX bytes=N`: a torn or truncated record fails
 * the check and is reported, never half-read. The file holds two fixed-size
 * slots (journal-slots.ts), written alternately in place: an update needs no
 * new disk block (a full disk loses no counter), and a torn write leaves the
 * other slot, the previous journal, to fall back to. A file of the older
 * layout (the record alone, with journal.json.prev beside it) is still read,
 * and replaced by slots at the first save.
 *
 * Times: the engine works in this process's monotonic milliseconds. The
 * journal stores CLOCK_MONOTONIC milliseconds (shared by every process of one
 * boot, never stepped) with the boot id, so a wall-clock step between save
 * and load changes nothing. After a reboot the times mean nothing: failure
 * history and grace are dropped, quarantines and counts kept. What is read is
 * clamped: times never in the future, counts never negative, names by the
 * component name rule.
 */
import { readFileSync } from "node:fs";
import { readSlots, writeSlot } from "./journal-slots.ts";
import type { ComponentState, EngineState } from "../engine/decide.ts";
import { KINDS, PLANES } from "../protocol/messages.ts";
import { COMPONENT_NAME_RE } from "../protocol/limits.ts";
import { kernelMonotonicMs } from "../sys/libc.ts";

export const JOURNAL_VERSION = 2;
const TRAILER_RE = /^#hamon-journal crc32=([0-9a-f]{8}) bytes=(\d+)$/;

export interface JournalComponent {
  name: string;
  active: boolean;
  quarantined: boolean;
  restarts: number;
  /** Owned daemon (spawned by hamon): adopt it if still the same process. */
  pid: number;
  startTime: number;
  /** Undeclared components are recreated from these, and awaited, by the next monitor. */
  kind?: "static" | "dynamic";
  plane?: "control" | "fast" | "system";
  /** Registered when the journal was written: the next monitor waits for it to come back. */
  up?: boolean;
  /** hamon was stopping it to restart it: the next monitor finishes that restart. */
  restarting?: boolean;
  /** Deregistered cleanly: the next monitor does not wait for it. */
  stopped?: boolean;
  /** Held by an operator (`hamon stop`): the next monitor keeps it held (and stopped). */
  held?: boolean;
}

export interface JournalData {
  /** Monitor pid that wrote it. */
  pid: number;
  /** Event sequence numbers up to this one may have been used: the next monitor starts above it. */
  seqCeiling: number;
  engine: EngineState;
  components: JournalComponent[];
  /** Why times were dropped ("" when they applied). */
  timesDropped: string;
}

interface OnDisk {
  version: number;
  bootId: string;
  savedAtMonoMs: number;
  savedAtWallMs: number;
  pid: number;
  seqCeiling: number;
  engine: { starvedUntil: number; components: ({ name: string } & ComponentState)[] };
  components: JournalComponent[];
}

let cachedBootId: string | null = null;
export function bootId(): string {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      cachedBootId = "";
    }
  }
  return cachedBootId;
}

/** This process's performance.now() → CLOCK_MONOTONIC offset, now. */
function monoOffset(): number {
  return kernelMonotonicMs() - performance.now();
}

function shiftState(s: EngineState, t: (x: number) => number): ({ name: string } & ComponentState)[] {
  const out: ({ name: string } & ComponentState)[] = [];
  for (const [name, c] of s.components) {
    out.push({
      name, failures: c.failures.map(t), recoveries: c.recoveries.map(t), graceUntil: t(c.graceUntil),
      healthySince: c.healthySince === null ? null : t(c.healthySince), quarantined: c.quarantined, streak: c.streak, flapping: c.flapping,
    });
  }
  return out;
}

/** The file's bytes (exported for tests that damage it on purpose). */
export function encodeJournal(engine: EngineState, components: JournalComponent[], seqCeiling: number): string {
  const off = monoOffset();
  const t = (x: number) => (x === 0 || !Number.isFinite(x) ? 0 : x + off);
  const data: OnDisk = {
    version: JOURNAL_VERSION, bootId: bootId(), savedAtMonoMs: performance.now() + off, savedAtWallMs: Date.now(), pid: process.pid, seqCeiling,
    engine: { starvedUntil: 0, components: shiftState(engine, t) }, components,
  };
  const body = JSON.stringify(data);
  return `${body}\n#hamon-journal crc32=${crc(body)} bytes=${Buffer.byteLength(body)}\n`;
}

/** Written in place into the older of the two slots; `durable`: fsynced before returning (else journal-writer.ts makes it durable shortly after). */
export function saveJournal(path: string, engine: EngineState, components: JournalComponent[], seqCeiling: number, durable = true): void {
  writeSlot(path, encodeJournal(engine, components, seqCeiling), durable);
}

export type Loaded = { ok: true; data: JournalData; from: string } | { ok: false; why: string } | { ok: "none" };

/**
 * Reads the journal (or, when it is damaged or absent, the previous one) back
 * into this process's monotonic time. `maxGraceMs(name)` bounds what grace a
 * component can have left.
 */
export function loadJournal(path: string, maxGraceMs: (name: string) => number = () => Infinity): Loaded {
  const slots = readSlots(path);
  if (slots !== null) {
    // The newest slot that checks out; the other is the previous journal (a torn write leaves it).
    let why = "";
    for (const [i, text] of slots.entries()) {
      const r = text === null ? ({ ok: false, why: `${path}: slot torn (checksum mismatch)` } as const) : parseJournal(text, path, maxGraceMs);
      if (r.ok === true) return i === 0 ? r : { ...r, from: `${path} (previous slot; the newest: ${why})` };
      if (!why) why = r.ok === false ? r.why : "empty";
    }
    return { ok: false, why: why || `${path}: no journal record in either slot` };
  }
  const cur = loadOne(path, maxGraceMs);
  if (cur.ok === true) return cur;
  const prev = loadOne(`${path}.prev`, maxGraceMs);
  if (prev.ok === true) return { ...prev, from: `${path}.prev (${cur.ok === "none" ? "no current journal" : cur.why})` };
  return cur.ok === "none" && prev.ok !== "none" ? { ok: false, why: `no current journal; previous: ${prev.why}` } : cur;
}

function loadOne(path: string, maxGraceMs: (name: string) => number): Loaded {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { ok: "none" };
    return { ok: false, why: (e as Error).message };
  }
  return parseJournal(text, path, maxGraceMs);
}

/** The text of the newest journal record (slots, or the older layout), for tools and tests; null when there is none. */
export function readJournalText(path: string): string | null {
  const slots = readSlots(path);
  if (slots !== null) return slots.find((t) => t !== null) ?? null;
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function parseJournal(text: string, path: string, maxGraceMs: (name: string) => number): Loaded {
  const nl = text.indexOf("\n");
  const body = nl < 0 ? text : text.slice(0, nl);
  const trailer = nl < 0 ? "" : text.slice(nl + 1).replace(/\n$/, "");
  const m = TRAILER_RE.exec(trailer);
  if (!m) return { ok: false, why: `${path}: no checksum trailer (torn, truncated or not a version ${JOURNAL_VERSION} journal; ${text.length} bytes)` };
  if (Number(m[2]) !== Buffer.byteLength(body) || m[1] !== crc(body)) return { ok: false, why: `${path}: checksum mismatch (torn or altered)` };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    return { ok: false, why: `${path}: not JSON: ${(e as Error).message}` };
  }
  const why = invalid(raw);
  if (why) return { ok: false, why: `${path}: ${why}` };
  return { ok: true, data: toMemory(raw as OnDisk, maxGraceMs), from: path };
}

/** Back into this process's clock, clamped; after a reboot only what does not depend on time. */
function toMemory(d: OnDisk, maxGraceMs: (name: string) => number): JournalData {
  const sameBoot = d.bootId !== "" && d.bootId === bootId();
  const off = monoOffset();
  const now = performance.now();
  const back = (x: number) => Math.min(now, x - off);
  const components = new Map<string, ComponentState>();
  for (const c of d.engine.components) {
    components.set(c.name, sameBoot
      ? {
          failures: c.failures.map(back), recoveries: c.recoveries.map(back),
          graceUntil: c.graceUntil === 0 ? 0 : Math.min(c.graceUntil - off, now + maxGraceMs(c.name)),
          healthySince: c.healthySince === null ? null : back(c.healthySince), quarantined: c.quarantined,
          // Written since the backoff (0.x journals have neither): a fresh streak otherwise.
          streak: typeof c.streak === "number" && Number.isSafeInteger(c.streak) && c.streak >= 0 ? c.streak : 0, flapping: c.flapping === true,
        }
      : { failures: [], recoveries: [], graceUntil: 0, healthySince: null, quarantined: c.quarantined, streak: 0, flapping: false });
  }
  return {
    pid: d.pid, seqCeiling: d.seqCeiling,
    engine: { components, starvedUntil: 0 },
    components: d.components.map((c) => (sameBoot ? c : { ...c, pid: 0, startTime: 0, restarting: false })),
    timesDropped: sameBoot ? "" : "written in another boot: failure history and grace dropped, owned pids not adopted",
  };
}

const isCount = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
const isTime = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0;

function invalid(raw: unknown): string {
  if (typeof raw !== "object" || raw === null) return "not an object";
  const d = raw as Partial<OnDisk>;
  if (d.version !== JOURNAL_VERSION) return `version ${String(d.version)}, expected ${JOURNAL_VERSION}`;
  if (typeof d.bootId !== "string" || !isCount(d.pid) || !isCount(d.seqCeiling)) return "header fields missing";
  if (!d.engine || !Array.isArray(d.engine.components)) return "engine state missing";
  for (const c of d.engine.components) {
    if (typeof c?.name !== "string" || !COMPONENT_NAME_RE.test(c.name)) return `engine state names '${String(c?.name).slice(0, 64)}', not a component name`;
    if (!Array.isArray(c.failures) || !Array.isArray(c.recoveries) || !isTime(c.graceUntil) || typeof c.quarantined !== "boolean") return `engine state of '${c.name}' malformed`;
    if (!(c.healthySince === null || isTime(c.healthySince))) return `engine state of '${c.name}' malformed`;
    if (![...c.failures, ...c.recoveries].every(isTime)) return `engine state of '${c.name}' has bad times`;
  }
  if (!Array.isArray(d.components)) return "components missing";
  for (const c of d.components) {
    if (typeof c?.name !== "string" || !COMPONENT_NAME_RE.test(c.name)) return `a component record names '${String(c?.name).slice(0, 64)}', not a component name`;
    if (typeof c.active !== "boolean" || !isCount(c.pid) || !isCount(c.startTime) || !isCount(c.restarts)) return `the record of '${c.name}' is malformed`;
    if (c.kind !== undefined && !KINDS.includes(c.kind)) return `component '${c.name}' has kind '${String(c.kind)}'`;
    if (c.plane !== undefined && !PLANES.includes(c.plane)) return `component '${c.name}' has plane '${String(c.plane)}'`;
    for (const k of ["up", "restarting", "quarantined", "stopped", "held"] as const) {
      if (c[k] !== undefined && typeof c[k] !== "boolean") return `component '${c.name}' has ${k} = ${JSON.stringify(c[k])}`;
    }
  }
  return "";
}

function crc(s: string): string {
  return (Bun.hash.crc32(s) >>> 0).toString(16).padStart(8, "0");
}
