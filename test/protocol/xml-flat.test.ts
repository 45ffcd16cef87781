/** The fast path must agree with fast-xml-parser on every document it accepts. */
import { expect, test } from "bun:test";
import { encode } from "../../src/protocol/codec.ts";
import { parseFlat } from "../../src/protocol/xml-flat.ts";
import { scanXml } from "../../src/protocol/xml-scan.ts";
import { parseTree, type XmlElement } from "../../src/protocol/xml.ts";
import { SAMPLES } from "../fixtures/messages.ts";

function grouped(e: XmlElement): XmlElement {
  const order = [...new Set(e.children.map((c) => c.name))];
  const children = order.flatMap((n) => e.children.filter((c) => c.name === n)).map(grouped);
  return { name: e.name, attrs: e.attrs, children, text: e.text };
}

function agree(doc: string): boolean {
  if (scanXml(doc) !== null) return false; // only scanned documents reach either path
  const flat = parseFlat(doc);
  const tree = parseTree(doc);
  expect(tree.ok).toBe(true);
  if (flat === null) return false;
  // JSON form: same name, same attributes in the same order with the same values, same children and text.
  // fast-xml-parser groups children by name (first appearance); the codec reads children by name, so compare grouped.
  expect(JSON.stringify(grouped(flat))).toBe(JSON.stringify(tree.ok ? grouped(tree.el) : null));
  return true;
}

test("every protocol sample, nested ones included, parses the same on both paths", () => {
  for (const m of SAMPLES) expect(agree(encode(m))).toBe(true);
});

test("fuzzed attribute values (entities, numeric refs, whitespace, quotes, unicode) agree with fxp", () => {
  const pieces = ["a", " ", "\t", "\n", "\r\n", "\r", "\r\r\n", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;", "&#13;", "&#x41;", "&#128512;", "é", "雪", "'", "=", "/", ">", "x y"];
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  let checked = 0;
  for (let k = 0; k < 5000; k++) {
    let v = "";
    for (let p = rnd(8); p > 0; p--) v += pieces[rnd(pieces.length)];
    const sp = [" ", "  ", "\n", "\t"][rnd(4)];
    const body = rnd(2) ? "/>" : `>${v.replaceAll("<", "&lt;")}</reply${rnd(2) ? " " : ""}>`;
    const doc = `${rnd(2) ? '<?xml version="1.0"?>' : ""}${rnd(2) ? "\n" : ""}<reply${sp}id="${rnd(1000)}"${sp}health = "ok" detail="${v.replaceAll('"', "&quot;")}"${rnd(2) ? " " : ""}${body}${rnd(2) ? "\n" : ""}`;
    if (agree(doc)) checked++;
  }
  expect(checked).toBeGreaterThan(4000);
});

test("single-quoted values, text content, and what falls back", () => {
  expect(agree(`<ok id='7'/>`)).toBe(true);
  expect(agree(`<reply id="7" health="ok">lsdb: 1200 LSAs &amp; ok</reply>`)).toBe(true);
  expect(agree(`<reply id="7" health="ok"></reply>`)).toBe(true);
  expect(agree(`<result id="1"><component name="a"><core slot="1"/><core slot="2"/></component><component name="b"></component></result>`)).toBe(true);
  expect(agree(`<a><x i="1"/><y/><x i="2"/></a>`)).toBe(true);
  // Whitespace between children, mixed content, a wrong end tag: fast-xml-parser's business.
  expect(parseFlat(`<result id="1">\n  <component name="a"/>\n</result>`)).toBeNull();
  expect(parseFlat(`<a>text<b/></a>`)).toBeNull();
  expect(parseFlat(`<a><b/>text</a>`)).toBeNull();
  expect(parseFlat(`<a><b/></ab>`)).toBeNull();
});
