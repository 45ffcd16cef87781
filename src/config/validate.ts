/**
 * Small typed readers over untrusted parsed TOML. Each failure names the key
 * path and the bad value, and all failures are collected (an operator fixes a
 * config in one pass, not one error per restart).
 */
import { COMPONENT_NAME_RE } from "../protocol/limits.ts";

export class ConfigErrors {
  readonly list: string[] = [];
  add(path: string, why: string, value?: unknown): void {
    this.list.push(value === undefined ? `${path}: ${why}` : `${path}: ${why}, got ${show(value)}`);
  }
}

export type Table = Record<string, unknown>;

export function show(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(", ")}]` : typeof v === "object" && v !== null ? "a table" : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Refuses keys a table must not have (typos are errors, not silently ignored). */
export function onlyKeys(t: Table, path: string, allowed: readonly string[], e: ConfigErrors): void {
  for (const k of Object.keys(t)) if (!allowed.includes(k)) e.add(`${path}.${k}`, `unknown key (allowed: ${allowed.join(", ")})`);
}

export function int(t: Table, key: string, path: string, e: ConfigErrors, min: number, max: number, fallback: number): number {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    e.add(`${path}.${key}`, `must be an integer in ${min}..${max}`, v);
    return fallback;
  }
  return v;
}

export function bool(t: Table, key: string, path: string, e: ConfigErrors, fallback: boolean): boolean {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") {
    e.add(`${path}.${key}`, "must be true or false", v);
    return fallback;
  }
  return v;
}

export function str(t: Table, key: string, path: string, e: ConfigErrors, fallback: string, re?: RegExp): string {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || (re && !re.test(v))) {
    e.add(`${path}.${key}`, re ? `must match ${re.source}` : "must be a string", v);
    return fallback;
  }
  return v;
}

export function oneOf<T extends string>(t: Table, key: string, path: string, e: ConfigErrors, allowed: readonly T[], fallback: T): T {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    e.add(`${path}.${key}`, `must be one of ${allowed.join(", ")}`, v);
    return fallback;
  }
  return v as T;
}

/** An argv: a non-empty array of strings with an absolute program path. Never a shell string. */
export function argv(t: Table, key: string, path: string, e: ConfigErrors): string[] | null {
  const v = t[key];
  if (v === undefined) return null;
  if (typeof v === "string") {
    e.add(`${path}.${key}`, "must be an argv array like [\"/usr/sbin/ospfd\", \"-d\"], not a shell string", v);
    return null;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string")) {
    e.add(`${path}.${key}`, "must be a non-empty array of strings", v);
    return null;
  }
  if (!(v[0] as string).startsWith("/")) {
    e.add(`${path}.${key}[0]`, "must be an absolute path (no PATH lookup)", v[0]);
    return null;
  }
  return v as string[];
}

/** Milliseconds in a day: the upper bound of most durations. */
export const DAY_MS = 86_400_000;

/** A sub-table (`[monitor]`); {} when absent. */
export function table(raw: Table, key: string, e: ConfigErrors): Table {
  const v = raw[key];
  if (v === undefined) return {};
  if (!isTable(v)) {
    e.add(key, "must be a table", v);
    return {};
  }
  return v;
}

/** An array of tables (`[[component]]`); [] when absent. */
export function list(raw: Table, key: string, e: ConfigErrors, path = ""): Table[] {
  const v = raw[key];
  const where = path ? `${path}.${key}` : key;
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    e.add(where, `must be an array of tables ([[${key}]])`, v);
    return [];
  }
  return v.filter((x, i) => isTable(x) || (e.add(`${where}[${i}]`, "must be a table", x), false)) as Table[];
}

/** A required name (a component's, a check's). */
export function required(t: Table, key: string, path: string, e: ConfigErrors): string {
  const v = t[key];
  if (typeof v !== "string" || !COMPONENT_NAME_RE.test(v)) {
    e.add(`${path}.${key}`, v === undefined ? "is required" : `must match ${COMPONENT_NAME_RE.source}`, v === undefined ? undefined : v);
    return typeof v === "string" ? v : "";
  }
  return v;
}
