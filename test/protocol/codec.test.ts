import { describe, expect, test } from "bun:test";
import { decode, encode, resultFrames } from "../../src/protocol/codec.ts";
import { MAX_FRAME_BYTES } from "../../src/protocol/limits.ts";
import type { ComponentStatus } from "../../src/protocol/messages.ts";
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
    [`<subscribe id="1" since="-1"/>`, "E_INVALID", "'since' must be a decimal integer, got '-1'"],
    [`<subscribe id="1" since="99999999999999999999"/>`, "E_INVALID", "'since' must be a decimal integer"],
    [`<register id="1" name="a" kind="static"/>`, "E_INVALID", "'plane' is required"],
    [`<error-report level="reboot"/>`, "E_INVALID", "'level' must be restart-daemon|"],
    [`<command id="2" verb="rm -rf"/>`, "E_UNKNOWN", "verb 'rm -rf' is not supported"],
    [`<command id="0" verb="status"/>`, "E_INVALID", "'id' must be ≥ 1"],
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

describe("results larger than one frame", () => {
  const comp = (i: number): ComponentStatus => ({
    name: `component-with-a-rather-long-name-${i}`, kind: "static", plane: "control", state: "up", health: "ok", reason: "x".repeat(100), pid: i, ageMs: 5, restarts: 0,
  });
  test("split in order into frames that each fit; all but the last say more; decoding and concatenating gives the input", () => {
    const m = { type: "result" as const, id: 3, monitor: { pid: 1, version: "v", uptimeMs: 2 }, detail: "", components: Array.from({ length: 3000 }, (_, i) => comp(i)) };
    const frames = resultFrames(m);
    expect(frames.length).toBeGreaterThan(5);
    const back: ComponentStatus[] = [];
    frames.forEach((f, i) => {
      const xml = encode(f);
      expect(Buffer.byteLength(xml)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      const d = decode(xml);
      if (!d.ok || d.msg.type !== "result") throw new Error("bad frame");
      expect(d.msg.more ?? false).toBe(i < frames.length - 1);
      back.push(...d.msg.components);
    });
    expect(back).toEqual(m.components);
  });
  test("a small result is one frame without more", () => {
    const frames = resultFrames({ type: "result", id: 1, monitor: null, detail: "", components: [comp(1)] });
    expect(frames).toHaveLength(1);
    expect(encode(frames[0]!)).not.toContain("more=");
  });
  test("one component too large for a frame loses samples, then recent events, then cores, until it fits", () => {
    const reason = "&".repeat(4000); // escapes to 20,000 bytes
    const big: ComponentStatus = {
      ...comp(0),
      checks: Array.from({ length: 32 }, (_, i) => ({ name: `c${i}`, mode: "query" as const, periodMs: 1000, failed: false, samples: Array.from({ length: 5 }, () => ({ agoMs: 1, ok: false, reason })) })),
      recent: Array.from({ length: 16 }, (_, i) => ({ seq: i + 1, time: 1, event: "recover", level: "", reason })),
      cores: Array.from({ length: 200 }, (_, i) => ({ slot: i, lcore: i, name: "rx", state: "running", verdict: "ok", ageMs: 0 })),
    };
    const [f] = resultFrames({ type: "result", id: 1, monitor: null, detail: "", components: [big] });
    const c = f!.components[0]!;
    expect(Buffer.byteLength(encode(f!))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(c.checks?.every((k) => k.samples.length === 0)).toBe(true);
    expect(c.recent).toBeUndefined();
    expect(c.cores).toHaveLength(200);
  });
});
