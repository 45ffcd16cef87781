import { describe, expect, test } from "bun:test";
import { decode, encode } from "../../src/protocol/codec.ts";
import { ALL_TYPES, SAMPLES } from "../fixtures/messages.ts";

describe("codec round trip", () => {
  test("SAMPLES covers every message type", () => {
    expect(new Set(SAMPLES.map((m) => m.type))).toEqual(new Set(ALL_TYPES));
  });
  test.each(SAMPLES.map((m) => [`${m.type} ${encode(m).slice(0, 40)}`, m] as const))("%s", (_n, m) => {
    const r = decode(encode(m));
    expect(r).toEqual({ ok: true, msg: m });
  });
});

describe("golden encodings", () => {
  test.each([
    [{ type: "ok", id: 3 }, `<ok id="3"/>`],
    [{ type: "report", health: "failed", reason: `a<b & "c"` }, `<report health="failed" reason="a&lt;b &amp; &quot;c&quot;"/>`],
    [{ type: "register", id: 1, name: "fp", kind: "static", plane: "fast", pid: 9, checks: [] }, `<register id="1" name="fp" kind="static" plane="fast" pid="9"/>`],
  ] as const)("%j", (m, xml) => {
    expect(encode(m as never)).toBe(xml);
  });
  test("control characters a peer sent can never make us emit invalid XML", () => {
    const xml = encode({ type: "report", health: "ok", reason: "bell\u0007 nul\u0000 tab\t" });
    expect(xml).toBe(`<report health="ok" reason="bell\ufffd nul\ufffd tab\t"/>`);
    expect(decode(xml).ok).toBe(true);
  });
});

describe("typed decoding", () => {
  test("names that look like numbers stay strings", () => {
    const r = decode(`<register id="1" name="007" kind="static" plane="control"/>`);
    expect(r.ok && r.msg.type === "register" && r.msg.name).toBe("007");
  });
  test("absent optional attributes take documented defaults", () => {
    expect(decode(`<register id="4" name="a" kind="dynamic" plane="system"/>`)).toEqual({
      ok: true, msg: { type: "register", id: 4, name: "a", kind: "dynamic", plane: "system", pid: 0, checks: [] },
    });
  });
  test("unknown attributes are ignored (additive evolution within v1)", () => {
    expect(decode(`<ok id="5" future="x"/>`)).toEqual({ ok: true, msg: { type: "ok", id: 5 } });
  });
  test.each([
    [`<register id="1" name="a/b" kind="static" plane="fast"/>`, "E_INVALID", "'name' must match"],
    [`<register id="1" name="a" kind="static" plane="data"/>`, "E_INVALID", "'plane' must be control|fast|system, got 'data'"],
    [`<register id="0x1" name="a" kind="static" plane="fast"/>`, "E_INVALID", "'id' must be a decimal integer, got '0x1'"],
    [`<register id="1" name="a" kind="static" plane="fast" pid="-1"/>`, "E_INVALID", "'pid' must be a decimal integer"],
    [`<register id="1" name="a" kind="static" plane="fast" pid="1e3"/>`, "E_INVALID", "'pid' must be a decimal integer"],
    [`<register id="1" name="a" kind="static"/>`, "E_INVALID", "'plane' is required"],
    [`<error-report level="reboot"/>`, "E_INVALID", "'level' must be restart-daemon|"],
    [`<command id="2" verb="rm -rf"/>`, "E_INVALID", "'verb' must be"],
    [`<command id="2" verb="status" target="../etc"/>`, "E_INVALID", "'target' must match"],
    [`<frobnicate id="8"/>`, "E_UNKNOWN", "unknown message <frobnicate>"],
    [`<a><b></a>`, "E_MALFORMED", "does not match"],
    [`<report health="ok" reason="${"x".repeat(5000)}"/>`, "E_INVALID", "longer than 4096"],
  ].map(([xml, code, frag]) => [code!, xml!, frag!] as const))("%s %#", (code, xml, fragment) => {
    const r = decode(xml);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code as never);
      expect(r.message).toContain(fragment);
    }
  });
  test("the request id is recovered for the error reply when it is readable", () => {
    const r = decode(`<register id="42" name="a" kind="static" plane="nope"/>`);
    expect(!r.ok && r.id).toBe(42);
  });
});
