/**
 * The events room: the fan-out (every event numbered and stamped once, then
 * to show's ring, the log, events.jsonl, the subscribers — encoded once for
 * all — and the late sinks, in that order; a failing events.jsonl is said and
 * never stops the rest) and events.jsonl itself (whole lines, rotation,
 * reading back across the rotation, torn lines named, the last sequence).
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventFanout } from "../../src/events/fanout.ts";
import type { FullEvent } from "../../src/events/event.ts";
import { EventLog, lastLoggedSeq, readEventLog } from "../../src/events/log.ts";
import type { Message } from "../../src/protocol/messages.ts";

function fanout(file: EventLog | null, subs: Set<{ send(m: Message): boolean; sendFrame?(f: Uint8Array): boolean }>) {
  const order: string[] = [];
  const ring: FullEvent[] = [];
  const said: { ok: number; failed: string[] } = { ok: 0, failed: [] };
  let seq = 100;
  const f = new EventFanout({
    seq: { next: () => ++seq },
    log: (_l, msg) => order.push(`log:${msg}`),
    file,
    persisted: { ok: () => void said.ok++, failed: (_t, path) => void said.failed.push(path) },
    recent: { push: (e) => (ring.push(e), order.push(`ring:${e.seq}`)) },
    subscribers: subs,
  });
  return { f, order, ring, said };
}

describe("the fan-out", () => {
  test("numbered once, then ring, log, events.jsonl, subscribers (one frame for all), late sinks in the order added", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-ev-"));
    const frames: Uint8Array[] = [];
    const plain: Message[] = [];
    const subs = new Set([{ send: () => true, sendFrame: (fr: Uint8Array) => (frames.push(fr), true) }, { send: () => true, sendFrame: (fr: Uint8Array) => (frames.push(fr), true) }, { send: (m: Message) => (plain.push(m), true) }]);
    const { f, order, ring, said } = fanout(new EventLog(join(dir, "events.jsonl")), subs);
    f.addSink((e) => order.push(`sink1:${e.seq}`));
    f.addSink((e) => order.push(`sink2:${e.seq}`));
    f.emit({ component: "bgpd", event: "recover", level: "restart-daemon", reason: "exited" });
    expect(ring.map((e) => e.seq)).toEqual([101]);
    expect(order).toEqual(["ring:101", "log:event recover", "sink1:101", "sink2:101"]);
    expect(said.ok).toBe(1);
    expect(frames.length).toBe(2);
    expect(frames[0]).toBe(frames[1]!); // the same encoded frame for every subscriber that takes frames
    expect(plain).toMatchObject([{ type: "event", seq: 101, component: "bgpd", event: "recover" }]);
    expect(JSON.parse(readFileSync(join(dir, "events.jsonl"), "utf8"))).toMatchObject({ seq: 101, component: "bgpd", level: "restart-daemon" });
  });

  test("an events.jsonl that cannot be written is said (persisted.failed) and the ring, log, subscribers and sinks still get the event", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-ev-"));
    const path = join(dir, "missing-dir", "events.jsonl"); // cannot be created
    const got: Message[] = [];
    const { f, order, said } = fanout(new EventLog(path), new Set([{ send: (m: Message) => (got.push(m), true) }]));
    let sunk = 0;
    f.addSink(() => void sunk++);
    f.emit({ component: "x", event: "exited", level: "", reason: "r" });
    expect(said.failed).toEqual([path]);
    expect(order[0]).toBe("ring:101");
    expect(got.length).toBe(1);
    expect(sunk).toBe(1);
  });
});

describe("events.jsonl", () => {
  test("read back across a rotation; torn lines named by number, never skipped silently; the last sequence found", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-ev-"));
    const path = join(dir, "events.jsonl");
    const ev = (seq: number) => `${JSON.stringify({ seq, time: seq, component: "c", event: "e", level: "", reason: "" })}\n`;
    writeFileSync(`${path}.1`, ev(1) + ev(2) + ev(3));
    writeFileSync(path, ev(4) + "{\"seq\":5,\"ti" + "\n" + ev(6));
    const r = readEventLog(dir, 4)!;
    expect(r.events.map((e) => e.seq)).toEqual([2, 3, 4, 6]);
    expect(r.bad).toEqual([{ file: path, lines: [2] }]);
    expect(lastLoggedSeq(path)).toBe(6);
    expect(readEventLog(join(dir, "nowhere"), 5)).toBeNull();
  });

  test("appends whole lines; rotates to events.jsonl.1 when the next line would pass the limit", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-ev-"));
    const path = join(dir, "events.jsonl");
    // Start just under the limit: the next append rotates.
    writeFileSync(path, "");
    appendFileSync(path, "x".repeat(16 * 1024 * 1024 - 10) + "\n");
    const log = new EventLog(path);
    log.append({ seq: 1, time: 1, component: "c", event: "e", level: "", reason: "after the rotation" });
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(`${JSON.stringify({ seq: 1, time: 1, component: "c", event: "e", level: "", reason: "after the rotation" })}\n`);
  });
});
