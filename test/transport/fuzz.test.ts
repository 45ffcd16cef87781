/**
 * 100,000 random and mutated frames, split and coalesced across reads, sent
 * to a live monitor process over many connections, while a well-behaved
 * component stays registered. The monitor must not crash, must not log an
 * internal error, must keep the component monitored, and its memory must come
 * back near the baseline.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { encode } from "../../src/protocol/codec.ts";
import { encodeFrame } from "../../src/protocol/framing.ts";
import { Component } from "../../src/library/component.ts";
import { Session } from "../../src/library/session.ts";
import { SAMPLES } from "../fixtures/messages.ts";
import { startMonitor, type MonitorProc } from "../helpers/monitor-proc.ts";
import { connectRetry, until } from "../helpers/wait.ts";

const FRAMES = 100_000;
const CONCURRENCY = 16;
let seed = 0x2545f491;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000);
const pick = <T,>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;

const VALID = SAMPLES.map(encode);
const HELLO = encodeFrame(encode({ type: "hello", version: 1, minVersion: 1, role: "client", agent: "fuzz" }));
const NASTY = ["<", ">", "&", "&#0;", "<!DOCTYPE x>", "</a>", "<a>", "\"", "'", "=", "\u0000", "\uffff", "<__proto__/>", "&lt;", "<!--", "]]>", "\n"];

/** A body: valid, mutated valid, or random bytes. */
function body(): Uint8Array {
  const r = rand();
  if (r < 0.1) return Buffer.from(pick(VALID));
  if (r < 0.7) {
    let s = pick(VALID);
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
      const at = Math.floor(rand() * (s.length + 1));
      const op = rand();
      if (op < 0.4) s = s.slice(0, at) + pick(NASTY) + s.slice(at);
      else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 8));
      else s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at + 1);
    }
    return Buffer.from(s.length ? s : "x");
  }
  const b = new Uint8Array(1 + Math.floor(rand() * 300));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function frame(): Uint8Array {
  const r = rand();
  if (r < 0.002) return Uint8Array.of(0, 0, 0, 0); // fatal: empty
  if (r < 0.004) return Uint8Array.of(0x7f, 0xff, 0xff, 0xff); // fatal: too large
  const b = body();
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length);
  out.set(b, 4);
  return out;
}

/** Sends `frames` over one connection in random split/coalesced chunks; resolves when closed or done. */
async function blast(sock: string, frames: Uint8Array[]): Promise<void> {
  let closed = false;
  let drained: (() => void) | null = null;
  const handlers = {
    data() {}, // read (and discard) the error replies so we are not cut off for not reading
    drain() { drained?.(); },
    close() { closed = true; drained?.(); },
    error() { closed = true; drained?.(); },
  };
  const s: Socket = await connectRetry(sock, handlers);
  const payload = Buffer.concat(rand() < 0.8 ? [HELLO, ...frames] : frames);
  let off = 0;
  while (off < payload.length && !closed) {
    const len = Math.min(payload.length - off, 1 + Math.floor(rand() * (rand() < 0.5 ? 16 : 4096)));
    const n = s.write(payload.subarray(off, off + len));
    if (n < 0) break;
    off += n;
    if (n < len) await new Promise<void>((r) => (drained = r));
  }
  s.end();
}

let mon: MonitorProc;
let steady: Component;
beforeAll(async () => {
  mon = await startMonitor();
  steady = new Component({ name: "steady", socket: mon.sock, plane: "control" });
  await steady.start();
});
afterAll(async () => {
  await steady.stop();
  await mon.stop();
});

test(`${FRAMES} fuzzed frames: no crash, no internal error, others still monitored, memory back near baseline`, async () => {
  await Bun.sleep(300);
  const baseline = mon.rssKiB();
  let sent = 0;
  let batches = 0;
  const worker = async () => {
    while (sent < FRAMES) {
      const n = Math.min(FRAMES - sent, 1 + Math.floor(rand() * 12)); // past MAX_BAD_FRAMES the monitor cuts us off
      sent += n;
      batches++;
      await blast(mon.sock, Array.from({ length: n }, frame));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker)).catch((e) => {
    throw new Error(`${(e as Error).message}; monitor exit=${mon.proc.exitCode}; log tail: ${mon.stderr().slice(-3000)}`);
  });
  expect(sent).toBe(FRAMES);
  expect(mon.proc.exitCode).toBeNull();

  // The fuzzers' connections may still be queued on the monitor's side (past security.max_connections new
  // ones are refused with E_LIMIT until it catches up): retry until it admits us.
  let s: Session | null = null;
  await until(async () => (s = await Session.open(mon.sock, { role: "client" }).catch(() => null)) !== null, "the monitor admitting a client after the flood", 30_000);
  const r = await s!.request({ type: "command", id: s!.nextId(), verb: "status", target: "steady", kind: "" });
  s!.close();
  expect(r.type === "result" && r.components[0]).toMatchObject({ name: "steady", state: "up", health: "ok" });
  expect(steady.counters.disconnects).toBe(0);

  await Bun.sleep(1500);
  const after = mon.rssKiB();
  const log = mon.stderr();
  expect(log).not.toContain("internal error");
  expect(log).not.toMatch(/Unhandled|uncaught|panic/i);
  expect(log).toContain("refused frame");
  console.log(`fuzz: ${sent} frames over ${batches} connections; monitor RSS ${baseline} KiB before, ${after} KiB after`);
  expect(after).toBeLessThan(baseline + 48 * 1024);
}, 240_000);
