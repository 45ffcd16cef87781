import { describe, expect, test } from "bun:test";
import { FrameDecoder, encodeFrame } from "../../src/protocol/framing.ts";

const docs = [`<ok id="1"/>`, `<report health="ok" reason="héllo ✓"/>`, `<ok id="3"/>`];
const stream = Buffer.concat(docs.map((d) => encodeFrame(d)));

function drain(d: FrameDecoder): unknown[] {
  const out: unknown[] = [];
  for (let f = d.next(); f !== null; f = d.next()) {
    out.push(f);
    if (typeof f !== "string" && f.fatal) break;
  }
  return out;
}

describe("FrameDecoder", () => {
  test("coalesced frames in one chunk", () => {
    const d = new FrameDecoder();
    d.push(stream);
    expect(drain(d)).toEqual(docs);
  });
  test("every split point of the stream yields the same frames", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got: unknown[] = [];
      d.push(stream.subarray(0, cut));
      got.push(...drain(d));
      d.push(stream.subarray(cut));
      got.push(...drain(d));
      expect(got).toEqual(docs);
    }
  });
  test("one byte at a time", () => {
    const d = new FrameDecoder();
    const got: unknown[] = [];
    for (const b of stream) {
      d.push(Uint8Array.of(b));
      got.push(...drain(d));
    }
    expect(got).toEqual(docs);
    expect(d.buffered).toBe(0);
  });
  test("a length above the maximum is fatal E_TOO_LARGE and stops the decoder", () => {
    const d = new FrameDecoder(1024);
    d.push(Uint8Array.of(0, 0, 4, 1));
    expect(d.next()).toMatchObject({ fatal: true, code: "E_TOO_LARGE" });
    d.push(encodeFrame(`<ok id="1"/>`));
    expect(d.next()).toMatchObject({ fatal: true });
  });
  test("a zero length is fatal E_MALFORMED", () => {
    const d = new FrameDecoder();
    d.push(Uint8Array.of(0, 0, 0, 0));
    expect(d.next()).toMatchObject({ fatal: true, code: "E_MALFORMED" });
  });
  test("invalid UTF-8 is a non-fatal refusal; the next frame still decodes", () => {
    const d = new FrameDecoder();
    d.push(Uint8Array.of(0, 0, 0, 2, 0xc3, 0x28));
    d.push(encodeFrame(`<ok id="2"/>`));
    expect(drain(d)).toEqual([{ fatal: false, message: "frame is not valid UTF-8" }, `<ok id="2"/>`]);
  });
  test("encodeFrame refuses a document above the maximum", () => {
    expect(() => encodeFrame("x".repeat(70_000))).toThrow(RangeError);
  });
  test("the buffer never grows past one maximal frame plus one read", () => {
    const d = new FrameDecoder(64 * 1024);
    const big = encodeFrame(`<a>${"x".repeat(60_000)}</a>`);
    for (let i = 0; i < 50; i++) {
      d.push(big);
      expect(drain(d)).toHaveLength(1);
    }
    expect((d as unknown as { buf: Uint8Array }).buf.length).toBeLessThanOrEqual(128 * 1024);
  });
});
