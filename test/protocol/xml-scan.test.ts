import { describe, expect, test } from "bun:test";
import { scanXml } from "../../src/protocol/xml-scan.ts";
import { parseXml } from "../../src/protocol/xml.ts";

describe("accepted documents", () => {
  test.each([
    `<a/>`, `<a></a>`, `<?xml version="1.0" encoding="UTF-8"?>\n<a/>\n`, `  <a x="1" y='2'/>  `,
    `<a x="&amp;&lt;&gt;&quot;&apos;&#65;&#x42;"/>`, `<a><b/><b>t</b>text</a>`, `<a\n x = "1"\t/>`,
  ])("%s", (s) => expect(scanXml(s)).toBeNull());
});

describe("refused documents name the problem", () => {
  test.each([
    [`<a><b></a>`, "end tag </a> does not match <b>"],
    [`<a>`, "unclosed element <a>"],
    [`<a></b>`, "does not match"],
    [`not xml`, "text outside the root element"],
    [``, "no root element"],
    [`<a/><b/>`, "second root element"],
    [`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, "DOCTYPE"],
    [`<a><!-- c --></a>`, "comment"],
    [`<a><![CDATA[x]]></a>`, "CDATA"],
    [`<a><?pi x?></a>`, "processing instruction"],
    [`<a>&foo;</a>`, "unknown or malformed entity"],
    [`<a>&#0;</a>`, "unknown or malformed entity"],
    [`<a>& b</a>`, "unknown or malformed entity"],
    [`<a x=1/>`, "must be quoted"],
    [`<a x="1" x="2"/>`, "duplicate attribute"],
    [`<a x="<"/>`, "'<' inside an attribute value"],
    [`<a x/>`, "expected '='"],
    [`<a\u0001/>`, "expected whitespace"],
    [`<a>\u0000</a>`, "control character 0x0"],
    [`<ns:a/>`, "expected whitespace"],
    [`<1a/>`, "bad element name"],
    [`<${"n".repeat(65)}/>`, "bad element name"],
    [`${"<a>".repeat(9)}${"</a>".repeat(9)}`, "nesting deeper than 8"],
    [`<a ${Array.from({ length: 33 }, (_, i) => `a${i}="1"`).join(" ")}/>`, "more than 32 attributes"],
    [`<a>${"<b/>".repeat(4096)}</a>`, "more than 4096 elements"],
  ] as const)("refused: %#", (s, fragment) => {
    expect(scanXml(s)).toContain(fragment);
  });
});

describe("fast-xml-parser behind the scanner", () => {
  test("prototype-polluting names are refused, never reach an object", () => {
    expect(parseXml(`<__proto__/>`).ok).toBe(false);
    expect(parseXml(`<a><constructor/></a>`).ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test("values keep their exact text", () => {
    const r = parseXml(`<a n="007" t="true" f="1.50">  0x10 </a>`);
    expect(r.ok && r.el.attrs).toEqual({ n: "007", t: "true", f: "1.50" });
    expect(r.ok && r.el.text).toBe("  0x10 ");
  });
});
