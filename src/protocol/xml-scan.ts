/**
 * Strict well-formedness scan of one protocol document, run before
 * fast-xml-parser sees it. fxp is a lenient tree builder (it accepts
 * `<a><b></a>`, invents structure from garbage and has no attribute limits),
 * so this single pass enforces the subset docs/protocol.md allows:
 *
 * - an optional `<?xml …?>` declaration at offset 0; no other PI, no DOCTYPE,
 *   no comments, no CDATA (anything starting `<!` is refused);
 * - exactly one root element, whitespace only around it;
 * - names `[A-Za-z_][A-Za-z0-9._-]*` up to MAX_NAME_BYTES, no namespaces;
 * - quoted attributes, no duplicates, at most MAX_ATTRIBUTES per element;
 * - `&` only as one of the five predefined entities or a numeric reference;
 * - no control characters except TAB, LF, CR;
 * - depth ≤ MAX_DEPTH, elements ≤ MAX_ELEMENTS, and every end tag matches.
 *
 * It allocates nothing but the returned error string: open tags are tracked as
 * (offset, length) pairs in a preallocated array and compared by char code.
 *
 * @example scanXml('<a><b></a>') // "end tag </a> does not match <b> at offset 6"
 */
import { MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENTS, MAX_NAME_BYTES } from "./limits.ts";

const openStart = new Int32Array(MAX_DEPTH + 1);
const openLen = new Int32Array(MAX_DEPTH + 1);
const attrStart = new Int32Array(MAX_ATTRIBUTES);
const attrLen = new Int32Array(MAX_ATTRIBUTES);

const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isForbiddenControl = (c: number) => c < 32 && c !== 9 && c !== 10 && c !== 13;

/** Returns null when `s` is an acceptable protocol document, else a reason naming the offset. */
export function scanXml(s: string): string | null {
  const n = s.length;
  let i = 0;
  if (s.startsWith("<?xml ", 0)) {
    const end = s.indexOf("?>", 5);
    if (end < 0) return "unterminated XML declaration";
    i = end + 2;
  }
  let depth = 0;
  let elements = 0;
  let rootClosed = false;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 60 /* < */) {
      if (depth === 0 && !isSpace(c)) return `text outside the root element at offset ${i}`;
      const err = checkText(s, i, 60);
      if (typeof err === "string") return err;
      i = err;
      continue;
    }
    const next = s.charCodeAt(i + 1);
    if (next === 33 /* ! */) return `DOCTYPE, comment or CDATA refused at offset ${i}`;
    if (next === 63 /* ? */) return `processing instruction refused at offset ${i}`;
    if (next === 47 /* / */) {
      const r = scanEndTag(s, i + 2, depth);
      if (typeof r === "string") return r;
      i = r;
      depth--;
      if (depth === 0) rootClosed = true;
      continue;
    }
    if (rootClosed) return `second root element at offset ${i}`;
    if (++elements > MAX_ELEMENTS) return `more than ${MAX_ELEMENTS} elements`;
    const r = scanStartTag(s, i + 1, depth);
    if (typeof r === "string") return r;
    if (r < 0) i = -r; // self-closing: depth unchanged
    else {
      i = r;
      depth++;
    }
    if (depth === 0 && r < 0) rootClosed = true;
  }
  if (depth > 0) return `unclosed element <${s.substr(openStart[depth - 1]!, openLen[depth - 1]!)}>`;
  if (!rootClosed) return "no root element";
  return null;
}

/** Scans text or an attribute value up to `stop`; returns the stop offset or an error. */
function checkText(s: string, i: number, stop: number): number | string {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === stop) return i;
    if (c === 60) return `'<' inside an attribute value at offset ${i}`;
    if (isForbiddenControl(c)) return `control character 0x${c.toString(16)} at offset ${i}`;
    if (c === 38 /* & */) {
      const end = checkEntity(s, i);
      if (end < 0) return `unknown or malformed entity at offset ${i} (only &amp; &lt; &gt; &quot; &apos; and &#N; are allowed)`;
      i = end;
      continue;
    }
    i++;
  }
  return stop === 60 ? n : `unterminated attribute value`;
}

/** Returns the offset after a valid entity reference starting at `i`, or -1. */
function checkEntity(s: string, i: number): number {
  const semi = s.indexOf(";", i);
  if (semi < 0 || semi - i > 10) return -1;
  const body = s.substring(i + 1, semi);
  switch (body) {
    case "amp": case "lt": case "gt": case "quot": case "apos":
      return semi + 1;
  }
  const m = /^#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6})$/.exec(body);
  if (!m) return -1;
  const cp = body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  const ok = cp === 9 || cp === 10 || cp === 13 || (cp >= 32 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0x10ffff && cp !== 0xfffe && cp !== 0xffff);
  return ok ? semi + 1 : -1;
}

function scanName(s: string, i: number): number {
  if (!isNameStart(s.charCodeAt(i))) return -1;
  let j = i + 1;
  while (j < s.length && isNameChar(s.charCodeAt(j))) j++;
  return j - i > MAX_NAME_BYTES ? -1 : j;
}

/** Returns the offset after `>` (positive: element opened) or its negation for `/>`. */
function scanStartTag(s: string, i: number, depth: number): number | string {
  const nameEnd = scanName(s, i);
  if (nameEnd < 0) return `bad element name at offset ${i}`;
  if (depth >= MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH}`;
  openStart[depth] = i;
  openLen[depth] = nameEnd - i;
  let j = nameEnd;
  let attrs = 0;
  for (;;) {
    const ws = j;
    while (j < s.length && isSpace(s.charCodeAt(j))) j++;
    const c = s.charCodeAt(j);
    if (c === 62 /* > */) return j + 1;
    if (c === 47 /* / */) return s.charCodeAt(j + 1) === 62 ? -(j + 2) : `expected '>' after '/' at offset ${j + 1}`;
    if (j === ws) return `expected whitespace, '>' or '/>' at offset ${j}`;
    const an = scanName(s, j);
    if (an < 0) return `bad attribute name at offset ${j}`;
    if (attrs >= MAX_ATTRIBUTES) return `more than ${MAX_ATTRIBUTES} attributes on one element`;
    for (let k = 0; k < attrs; k++) {
      if (attrLen[k] === an - j && s.startsWith(s.substr(j, an - j), attrStart[k]!)) return `duplicate attribute at offset ${j}`;
    }
    attrStart[attrs] = j;
    attrLen[attrs] = an - j;
    attrs++;
    j = an;
    while (j < s.length && isSpace(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== 61 /* = */) return `expected '=' at offset ${j}`;
    j++;
    while (j < s.length && isSpace(s.charCodeAt(j))) j++;
    const q = s.charCodeAt(j);
    if (q !== 34 && q !== 39) return `attribute value must be quoted at offset ${j}`;
    const end = checkText(s, j + 1, q);
    if (typeof end === "string") return end;
    j = end + 1;
  }
}

function scanEndTag(s: string, i: number, depth: number): number | string {
  if (depth === 0) return `end tag without a start tag at offset ${i - 2}`;
  const nameEnd = scanName(s, i);
  if (nameEnd < 0) return `bad end tag name at offset ${i}`;
  const st = openStart[depth - 1]!;
  const len = openLen[depth - 1]!;
  let same = nameEnd - i === len;
  for (let k = 0; same && k < len; k++) same = s.charCodeAt(i + k) === s.charCodeAt(st + k);
  if (!same) return `end tag </${s.substring(i, nameEnd)}> does not match <${s.substr(st, len)}> at offset ${i - 2}`;
  let j = nameEnd;
  while (j < s.length && isSpace(s.charCodeAt(j))) j++;
  if (s.charCodeAt(j) !== 62) return `expected '>' at offset ${j}`;
  return j + 1;
}
