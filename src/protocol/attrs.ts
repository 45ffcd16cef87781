/**
 * Typed readers for attribute values. Every value on the wire is a string;
 * these turn it into the declared type or throw E_INVALID naming the element,
 * the attribute and the bad value. Numbers are plain decimal only: `0x10`,
 * `1e3`, `+5` and ` 5` are refused (Number() would accept them).
 */
import { HamonError } from "./errors.ts";
import type { XmlElement } from "./xml.ts";
import { COMPONENT_NAME_RE } from "./limits.ts";

const DECIMAL_RE = /^(0|[1-9][0-9]{0,15})$/;
/** Longest free-text attribute (reason, message, detail) we accept. */
export const MAX_TEXT_CHARS = 4096;

function invalid(el: XmlElement, attr: string, why: string): HamonError {
  return new HamonError("E_INVALID", `<${el.name}> attribute '${attr}' ${why}`);
}

export function str(el: XmlElement, attr: string, fallback?: string): string {
  const v = el.attrs[attr];
  if (v === undefined) {
    if (fallback === undefined) throw invalid(el, attr, "is required");
    return fallback;
  }
  if (v.length > MAX_TEXT_CHARS) throw invalid(el, attr, `is longer than ${MAX_TEXT_CHARS} characters`);
  return v;
}

export function uint(el: XmlElement, attr: string, fallback?: number): number {
  const v = el.attrs[attr];
  if (v === undefined) {
    if (fallback === undefined) throw invalid(el, attr, "is required");
    return fallback;
  }
  if (!DECIMAL_RE.test(v) || Number(v) > Number.MAX_SAFE_INTEGER) {
    throw invalid(el, attr, `must be a decimal integer, got '${truncate(v)}'`);
  }
  return Number(v);
}

/** A request id: uint ≥ 1 (0 is reserved for errors that cannot name a request, protocol.md §5.4). */
export function reqId(el: XmlElement): number {
  const v = uint(el, "id");
  if (v === 0) throw invalid(el, "id", "must be ≥ 1 (0 is reserved for errors not tied to a request)");
  return v;
}

/** Like oneOf, but a value outside the set is E_UNKNOWN (a verb this monitor does not know), not E_INVALID. */
export function known<T extends string>(el: XmlElement, attr: string, allowed: readonly T[]): T {
  const v = str(el, attr);
  if (!(allowed as readonly string[]).includes(v)) throw new HamonError("E_UNKNOWN", `<${el.name}> ${attr} '${truncate(v)}' is not supported by this monitor (supported: ${allowed.join(", ")})`);
  return v as T;
}

export function oneOf<T extends string>(el: XmlElement, attr: string, allowed: readonly T[], fallback?: T): T {
  const v = el.attrs[attr];
  if (v === undefined) {
    if (fallback === undefined) throw invalid(el, attr, "is required");
    return fallback;
  }
  if (!(allowed as readonly string[]).includes(v)) {
    throw invalid(el, attr, `must be ${allowed.join("|")}, got '${truncate(v)}'`);
  }
  return v as T;
}

/** A component name: COMPONENT_NAME_RE, so it is safe in a path, a log line and an argv. */
export function name(el: XmlElement, attr: string, fallback?: string): string {
  const v = str(el, attr, fallback);
  if (v === "" && fallback === "") return v;
  if (!COMPONENT_NAME_RE.test(v)) {
    throw invalid(el, attr, `must match ${COMPONENT_NAME_RE.source}, got '${truncate(v)}'`);
  }
  return v;
}

/** Most names in one list attribute (`actions`). */
export const MAX_LIST_NAMES = 16;

/** A space-separated list of names (`actions="restart stop"`); absent or empty = none. */
export function names(el: XmlElement, attr: string): string[] {
  const v = el.attrs[attr];
  if (v === undefined || v === "") return [];
  const list = v.split(" ");
  if (list.length > MAX_LIST_NAMES) throw invalid(el, attr, `lists more than ${MAX_LIST_NAMES} names`);
  for (const n of list) if (!COMPONENT_NAME_RE.test(n)) throw invalid(el, attr, `must be names separated by single spaces, got '${truncate(v)}'`);
  return list;
}

function truncate(v: string): string {
  return v.length > 40 ? `${JSON.stringify(v.slice(0, 40)).slice(1, -1)}…` : JSON.stringify(v).slice(1, -1);
}
