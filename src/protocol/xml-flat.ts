/**
 * Fast path for what our own encoder emits: elements with attributes, child
 * elements back to back, text only in a childless element (a reply's detail).
 * That is the monitor's steady traffic (reply, confirm, report, query, ok,
 * event), registrations with checks, and the results clients read — a
 * client's first fast-xml-parser call costs ~5 ms of warm-up, a third of a
 * `hamon status`. Given a document the strict scanner (xml-scan.ts) already
 * accepted, `parseFlat` builds the elements directly. Anything else (mixed
 * content, whitespace between children) returns null and goes to
 * fast-xml-parser; a test checks both paths agree on every sample and on
 * fuzzed attribute values.
 */
import type { XmlElement } from "./element.ts";

const RESERVED = new Set(["__proto__", "constructor", "prototype"]);
const NO_CHILDREN: readonly XmlElement[] = Object.freeze([]);
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isName = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57) || c === 46 || c === 45;

/**
 * `s` must have passed scanXml. Returns null when it is not element-only
 * (text is allowed only in an element without children, like a reply's
 * detail; whitespace between child elements, as in a hand-indented document,
 * also falls back).
 */
export function parseFlat(s: string): XmlElement | null {
  const n = s.length;
  let i = 0;
  if (s.startsWith("<?xml ")) i = s.indexOf("?>") + 2;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  const r = element(s, i, n);
  if (r === null) return null;
  for (i = r.end; i < n; i++) if (!isSpace(s.charCodeAt(i))) return null;
  return r.el;
}

/** One element starting at `i` (a '<'), with its children; null = not for this path. */
function element(s: string, i: number, n: number): { el: XmlElement; end: number } | null {
  if (s.charCodeAt(i) !== 60) return null;
  let j = ++i;
  while (j < n && isName(s.charCodeAt(j))) j++;
  const name = s.slice(i, j);
  if (RESERVED.has(name)) return null; // the tree path refuses these, with its message
  const attrs: Record<string, string> = Object.create(null);
  i = j;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    const c = s.charCodeAt(i);
    if (c === 47 /* / */ || c === 62 /* > */) break;
    if (!isName(c)) return null;
    j = i;
    while (j < n && isName(s.charCodeAt(j))) j++;
    const key = s.slice(i, j);
    if (RESERVED.has(key)) return null;
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    j++; // '='
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    const q = s.charCodeAt(j);
    const end = s.indexOf(q === 34 ? '"' : "'", j + 1);
    if (end < 0) return null;
    const raw = s.slice(j + 1, end);
    attrs[key] = raw.indexOf("&") < 0 && raw.indexOf("\r") < 0 ? raw : unescape(raw);
    i = end + 1;
  }
  if (s.charCodeAt(i) === 47 /* / */) {
    if (s.charCodeAt(i + 1) !== 62 /* > */) return null;
    return { el: { name, attrs, children: NO_CHILDREN, text: "" }, end: i + 2 };
  }
  const gt = i;
  if (s.charCodeAt(gt + 1) === 60 && s.charCodeAt(gt + 2) !== 47) {
    // Element children only, back to back (what our encoder emits), then this element's end tag.
    const children: XmlElement[] = [];
    i = gt + 1;
    while (s.charCodeAt(i) === 60 && s.charCodeAt(i + 1) !== 47) {
      const child = element(s, i, n);
      if (child === null) return null;
      children.push(child.el);
      i = child.end;
    }
    const close = endTag(s, i, n, name);
    return close < 0 ? null : { el: { name, attrs, children, text: "" }, end: close };
  }
  // '>' then text only (a reply's detail), then this element's end tag.
  const lt = s.indexOf("<", gt + 1);
  const close = lt < 0 ? -1 : endTag(s, lt, n, name);
  if (close < 0) return null;
  const raw = s.slice(gt + 1, lt);
  return { el: { name, attrs, children: NO_CHILDREN, text: raw.indexOf("&") < 0 && raw.indexOf("\r") < 0 ? raw : unescape(raw) }, end: close };
}

/** `</name>` (spaces allowed before '>') at `i`: the index after it, or -1. */
function endTag(s: string, i: number, n: number, name: string): number {
  if (s.charCodeAt(i) !== 60 || s.charCodeAt(i + 1) !== 47 || !s.startsWith(name, i + 2)) return -1;
  i += 2 + name.length;
  if (i < n && isName(s.charCodeAt(i))) return -1; // </namex>
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  return s.charCodeAt(i) === 62 ? i + 1 : -1;
}

/** Line ends normalised (CR LF and lone CR → LF), then references decoded, as fast-xml-parser does. */
function unescape(v: string): string {
  return v.replace(/\r\n?/g, "\n").replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    if (e.charCodeAt(0) !== 35) return ENTITIES[e]!;
    const cp = e.charCodeAt(1) === 120 ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
  });
}
