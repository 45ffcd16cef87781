/**
 * The monitor's journal: what a restarted monitor needs to continue where
 * the last one stopped. Escalation counters, quarantines and grace periods
 * (the engine state), which dynamic components are active, and the pid and
 * start time of every daemon hamon owns (so the new monitor adopts them
 * instead of starting second copies).
 *
 * The engine works in monotonic milliseconds, which mean nothing to another
 * process; the journal stores wall-clock milliseconds and converts both ways.
 * Written atomically (writeAtomic); a journal that does not parse or has an
 * unknown version is reported and ignored, never half-applied.
 */
import { readFileSync } from "node:fs";
import type { ComponentState, EngineState } from "../engine/decide.ts";
import { KINDS, PLANES } from "../protocol/messages.ts";
import { writeAtomic } from "../sys/atomic.ts";

export const JOURNAL_VERSION = 1;

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
}

export interface JournalData {
  version: number;
  savedAtMs: number;
  /** Monitor pid that wrote it. */
  pid: number;
  engine: EngineState;
  components: JournalComponent[];
}

/** Monotonic → wall clock offset, now. */
export function wallOffset(): number {
  return Date.now() - performance.now();
}

function shiftState(s: EngineState, by: number): EngineState {
  const t = (x: number) => (x === 0 || !Number.isFinite(x) ? x : x + by);
  const components: Record<string, ComponentState> = {};
  for (const [name, c] of Object.entries(s.components)) {
    components[name] = {
      failures: c.failures.map(t), recoveries: c.recoveries.map(t), graceUntil: t(c.graceUntil),
      healthySince: c.healthySince === null ? null : t(c.healthySince), quarantined: c.quarantined,
    };
  }
  return { components, starvedUntil: t(s.starvedUntil) };
}

export function saveJournal(path: string, engine: EngineState, components: JournalComponent[]): void {
  const off = wallOffset();
  const data: JournalData = { version: JOURNAL_VERSION, savedAtMs: Date.now(), pid: process.pid, engine: shiftState(engine, off), components };
  writeAtomic(path, `${JSON.stringify(data)}\n`);
}

export type Loaded = { ok: true; data: JournalData } | { ok: false; why: string } | { ok: "none" };

/** Reads a journal back into monotonic time. */
export function loadJournal(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { ok: "none" };
    return { ok: false, why: (e as Error).message };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, why: `not JSON: ${(e as Error).message}` };
  }
  const why = invalid(raw);
  if (why) return { ok: false, why };
  const d = raw as JournalData;
  return { ok: true, data: { ...d, engine: shiftState(d.engine, -wallOffset()) } };
}

function invalid(raw: unknown): string {
  if (typeof raw !== "object" || raw === null) return "not an object";
  const d = raw as Partial<JournalData>;
  if (d.version !== JOURNAL_VERSION) return `version ${String(d.version)}, expected ${JOURNAL_VERSION}`;
  if (!d.engine || typeof d.engine !== "object" || typeof d.engine.components !== "object" || typeof d.engine.starvedUntil !== "number") return "engine state missing";
  for (const [n, c] of Object.entries(d.engine.components)) {
    if (!Array.isArray(c.failures) || !Array.isArray(c.recoveries) || typeof c.graceUntil !== "number" || typeof c.quarantined !== "boolean") return `engine state of '${n}' malformed`;
    if (![...c.failures, ...c.recoveries].every((x) => typeof x === "number")) return `engine state of '${n}' has non-numeric times`;
  }
  if (!Array.isArray(d.components)) return "components missing";
  for (const c of d.components) {
    if (typeof c?.name !== "string" || typeof c.active !== "boolean" || typeof c.pid !== "number" || typeof c.startTime !== "number") return "a component record is malformed";
    if (c.kind !== undefined && !KINDS.includes(c.kind)) return `component '${c.name}' has kind '${String(c.kind)}'`;
    if (c.plane !== undefined && !PLANES.includes(c.plane)) return `component '${c.name}' has plane '${String(c.plane)}'`;
    for (const k of ["up", "restarting", "quarantined"] as const) {
      if (c[k] !== undefined && typeof c[k] !== "boolean") return `component '${c.name}' has ${k} = ${JSON.stringify(c[k])}`;
    }
  }
  return "";
}
