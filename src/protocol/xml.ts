/**
 * The XML edge of the protocol: the only module that imports fast-xml-parser.
 *
 * Decoding = strict scan (xml-scan.ts) → flat fast path (xml-flat.ts) for a
 * single empty element, else fxp tree build with every option set
 * explicitly → normalisation into a small, uniform `XmlElement` whose
 * attribute values are always strings (a component named `007` stays `007`).
 * Encoding uses template strings with `escapeXml`: XMLBuilder is slower and we
 * only ever emit one element with attributes and a few children.
 *
 * @example parseXml('<ok id="3"/>') // { ok: true, el: { name: "ok", attrs: { id: "3" }, children: [], text: "" } }
 */
import type { XMLParser } from "fast-xml-parser";
import { scanXml } from "./xml-scan.ts";
import { parseFlat } from "./xml-flat.ts";
import { MAX_DEPTH } from "./limits.ts";

import type { XmlElement } from "./element.ts";
export type { XmlElement };

const ATTRS = "@";
const TEXT = "#text";

/**
 * Loaded and built on first use: steady traffic takes the fast path, so a
 * monitor (or a client) that never sees a hand-indented or mixed-content
 * document never evaluates the library (about 1 MiB of anonymous memory in
 * an otherwise empty compiled program; a client verb starts 5–8 ms sooner:
 * bench:cli).
 */
let parser: XMLParser | null = null;
const newParser = () => new (require("fast-xml-parser") as typeof import("fast-xml-parser")).XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  attributesGroupName: ATTRS,
  textNodeName: TEXT,
  alwaysCreateTextNode: true,
  isArray: (_name: string, _jpath: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
  parseTagValue: false, // values stay strings: typing is the codec's job
  parseAttributeValue: false,
  trimValues: false,
  allowBooleanAttributes: false,
  processEntities: true, // the scanner already allowed only the five predefined ones
  htmlEntities: true, // needed for numeric references (&#10;); named HTML entities never pass the scanner
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  maxNestedTags: MAX_DEPTH + 1,
  commentPropName: false,
  cdataPropName: false,
  preserveOrder: false,
  stopNodes: [],
  unpairedTags: [],
});

export type ParseResult = { ok: true; el: XmlElement } | { ok: false; error: string };

/** Parses one protocol document; never throws. */
export function parseXml(text: string): ParseResult {
  const bad = scanXml(text);
  if (bad !== null) return { ok: false, error: bad };
  // Steady traffic is flat (one empty element): built directly (xml-flat.ts).
  const flat = parseFlat(text);
  return flat ? { ok: true, el: flat } : parseTree(text);
}

/** The fast-xml-parser path, for documents that passed the scan (exported for the equivalence test). */
export function parseTree(text: string): ParseResult {
  let tree: Record<string, unknown>;
  try {
    parser ??= newParser();
    tree = parser.parse(text) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, error: `XML parser refused the document: ${(e as Error).message}` };
  }
  const names = Object.keys(tree);
  const root = names[0];
  const list = root === undefined ? undefined : tree[root];
  if (names.length !== 1 || root === undefined || !Array.isArray(list) || list.length !== 1) {
    return { ok: false, error: "document must have exactly one root element" };
  }
  return { ok: true, el: normalise(root, list[0]) };
}

function normalise(name: string, node: unknown): XmlElement {
  const attrs: Record<string, string> = Object.create(null);
  const children: XmlElement[] = [];
  let text = "";
  if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === ATTRS) {
        for (const [ak, av] of Object.entries(v as Record<string, unknown>)) attrs[ak] = String(av);
      } else if (k === TEXT) {
        text = String(v);
      } else if (Array.isArray(v)) {
        for (const child of v) children.push(normalise(k, child));
      }
    }
  } else if (node !== undefined && node !== null) {
    text = String(node);
  }
  return { name, attrs, children, text };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
// eslint-disable-next-line no-control-regex
const ESCAPE_ALL = /[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/**
 * Escapes text for an attribute value or character data. Characters XML 1.0
 * cannot carry (C0 controls but TAB/LF/CR) become U+FFFD, so peer-supplied
 * text can never make us emit a document the other side must refuse.
 */
export function escapeXml(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? "\ufffd");
}
