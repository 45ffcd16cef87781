/**
 * Fast path for the messages that make up the monitor's steady traffic
 * (reply, confirm, report, query, ok, event): one element with attributes
 * and at most text inside (a reply's detail), no child element. Given a document the strict scanner (xml-scan.ts)
 * already accepted, `parseFlat` builds the element directly: one object, one
 * string per attribute, no parser instance. Anything else (a child element)
 * returns null and goes to fast-xml-parser as before; a test
 * checks both paths agree on every sample and on fuzzed attribute values.
 */
import type { XmlElement } from "./xml.ts";

const RESERVED = new Set(["__proto__", "constructor", "prototype"]);
const NO_CHILDREN: readonly XmlElement[] = Object.freeze([]);
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isName = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 48 && c <= 57) || c === 46 || c === 45;

/** `s` must have passed scanXml. Returns null when it is not a single empty element. */
export function parseFlat(s: string): XmlElement | null {
  const n = s.length;
  let i = 0;
  if (s.startsWith("<?xml ")) i = s.indexOf("?>") + 2;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
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
  let text = "";
  if (s.charCodeAt(i) === 47 /* / */) {
    if (s.charCodeAt(i + 1) !== 62 /* > */) return null;
    i += 2;
  } else {
    // '>' then text only (a reply's detail), then this element's end tag.
    const gt = i;
    const lt = s.indexOf("<", gt + 1);
    if (lt < 0 || s.charCodeAt(lt + 1) !== 47 || !s.startsWith(name, lt + 2)) return null;
    i = lt + 2 + name.length;
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 62) return null;
    const raw = s.slice(gt + 1, lt);
    text = raw.indexOf("&") < 0 && raw.indexOf("\r") < 0 ? raw : unescape(raw);
    i++;
  }
  for (; i < n; i++) if (!isSpace(s.charCodeAt(i))) return null;
  return { name, attrs, children: NO_CHILDREN, text };
}

/** Line ends normalised (CR LF and lone CR → LF), then references decoded, as fast-xml-parser does. */
function unescape(v: string): string {
  return v.replace(/\r\n?/g, "\n").replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    if (e.charCodeAt(0) !== 35) return ENTITIES[e]!;
    const cp = e.charCodeAt(1) === 120 ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
  });
}
