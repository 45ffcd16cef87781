/** docs/protocol.md stays true: every XML example in it decodes, and every message type has one. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decode } from "../../src/protocol/codec.ts";
import { ALL_TYPES } from "../fixtures/messages.ts";

const md = readFileSync(join(import.meta.dir, "..", "..", "docs", "protocol.md"), "utf8");
const blocks = [...md.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]!);
// A block is either one multi-line document or one document per line.
const examples = blocks.flatMap((b) => (b.trim().startsWith("<register") || b.trim().startsWith("<result") ? [b.trim()] : b.trim().split("\n")));
const session = [...md.matchAll(/^[→←] (.*)$/gm)].map((m) => m[1]!);

test.each([...examples, ...session].map((x) => [x.slice(0, 60), x] as const))("example decodes: %s", (_l, xml) => {
  const r = decode(xml);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
});

test("every message type has an example", () => {
  const seen = new Set([...examples, ...session].map((x) => { const r = decode(x); return r.ok ? r.msg.type : ""; }));
  for (const t of ALL_TYPES) expect(seen).toContain(t);
});
