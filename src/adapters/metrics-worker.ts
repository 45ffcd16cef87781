/**
 * The Prometheus endpoint (`[prometheus] listen`), on a thread of its own (a
 * Worker at nice 10): anyone on the host can connect to it, so a flood of
 * requests must cost the monitor's loop nothing. The loop renders the text
 * (at most every METRICS_FRESH_MS, and only when a request found it older:
 * that request, and every other meanwhile, waits for the new one) and posts
 * it here; requests are answered from that copy. Each peer address gets a
 * token bucket (past it, 429 at once), and open connections are capped per
 * peer and in all (each holds one of the monitor's descriptors).
 *
 * In: { op: "listen", host, port } once, then { op: "text", text } (a new
 * rendering). Out: { op: "listening", port } | { op: "failed", error } |
 * { op: "stale" } (a request found the copy older than METRICS_FRESH_MS).
 */
import { dlopen, FFIType } from "bun:ffi";
import { CONTENT_TYPE } from "./metrics.ts";

declare const self: Worker;

/** The text served is at most this old when requests keep coming. */
export const METRICS_FRESH_MS = 250;
/** Per peer address: a burst of this many requests, refilled at PER_PEER_PER_S. */
export const PER_PEER_BURST = 20;
export const PER_PEER_PER_S = 10;
/** Peers remembered for rate limiting (the oldest forgotten first): a flood of addresses cannot grow the table. */
const MAX_PEERS = 1024;

export type ToMetrics = { op: "listen"; host: string; port: number } | { op: "text"; text: string };
export type FromMetrics = { op: "listening"; port: number } | { op: "failed"; error: string } | { op: "stale" };

const post = (m: FromMetrics) => postMessage(m);

// Below the monitor's loop: under a flood, the scheduler serves the loop first (setpriority on this thread's tid).
try {
  const libc = dlopen("libc.so.6", { setpriority: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 }, gettid: { args: [], returns: FFIType.i32 } });
  libc.symbols.setpriority(0, libc.symbols.gettid(), 10);
} catch {
  /* not Linux glibc: served at the same priority */
}

let body: Uint8Array = new TextEncoder().encode("# no data yet\n");
let renderedAt = -Infinity; // never rendered: the first request waits for a rendering
/** Settled by the next rendering: every request that found the copy stale waits for the same one. */
let fresh: Promise<void> | null = null;
let freshened = () => {};
/** How long a request waits for a rendering before it is served the copy it has (a monitor that is busy, or stopping). */
const WAIT_FRESH_MS = 1_000;
const buckets = new Map<string, { tokens: number; at: number }>();

function allow(peer: string, now: number): boolean {
  let b = buckets.get(peer);
  if (!b) {
    if (buckets.size >= MAX_PEERS) buckets.delete(buckets.keys().next().value!);
    b = { tokens: PER_PEER_BURST, at: now };
    buckets.set(peer, b);
  }
  b.tokens = Math.min(PER_PEER_BURST, b.tokens + ((now - b.at) / 1_000) * PER_PEER_PER_S);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens--;
  return true;
}

/** Open connections at most, per peer address and in all: each holds a descriptor of the monitor's process. */
export const MAX_CONNECTIONS_PER_PEER = 8;
export const MAX_CONNECTIONS = 64;
/** A request must be whole within this, and at most REQUEST_MAX_BYTES: a slow or silent client is closed. */
const REQUEST_DEADLINE_MS = 2_000;
const REQUEST_MAX_BYTES = 8 * 1024;

interface Conn {
  peer: string;
  buf: string;
  timer: ReturnType<typeof setTimeout> | null;
  done: boolean;
  /** What the socket has not taken yet (a write may take part of a response): sent on drain, then the end. */
  unsent: Uint8Array | null;
}

const perPeer = new Map<string, number>();
let open = 0;
const enc = new TextEncoder();

function reply(s: Bun.Socket<Conn>, status: string, type: string, body: Uint8Array | string, head = false): void {
  const b = typeof body === "string" ? enc.encode(body) : body;
  // One response per connection, then close (Connection: close): a client cannot hold a connection open between scrapes.
  const h = enc.encode(`HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n`);
  const all = new Uint8Array(h.length + (head ? 0 : b.length));
  all.set(h, 0);
  if (!head) all.set(b, h.length);
  s.data.unsent = all;
  flush(s);
}

/** Writes what is unsent; the socket may take part of it (its length is checked), the rest goes on drain; ends when all is sent. */
function flush(s: Bun.Socket<Conn>): void {
  const u = s.data.unsent;
  if (!u) return;
  const n = s.write(u);
  if (n < 0) return void s.terminate();
  if (n < u.length) {
    s.data.unsent = u.subarray(n);
    return;
  }
  s.data.unsent = null;
  s.end();
}

async function answer(s: Bun.Socket<Conn>, line: string): Promise<void> {
  const [method = "", target = ""] = line.split(" ");
  const now = performance.now();
  if (!allow(s.data.peer, now)) return reply(s, "429 Too Many Requests", "text/plain", "too many requests\n");
  if (method !== "GET" && method !== "HEAD") return reply(s, "405 Method Not Allowed", "text/plain", "method not allowed\n");
  const path = target.split("?")[0];
  if (path === "/metrics") {
    if (now - renderedAt > METRICS_FRESH_MS) {
      if (!fresh) {
        fresh = new Promise<void>((r) => (freshened = r));
        post({ op: "stale" });
      }
      await Promise.race([fresh, Bun.sleep(WAIT_FRESH_MS)]);
    }
    return reply(s, "200 OK", CONTENT_TYPE, body, method === "HEAD");
  }
  if (path === "/") return reply(s, "200 OK", "text/plain", "hamon metrics: /metrics\n", method === "HEAD");
  return reply(s, "404 Not Found", "text/plain", "not found\n", method === "HEAD");
}

function release(c: Conn): void {
  if (c.done) return;
  c.done = true;
  if (c.timer) clearTimeout(c.timer);
  open--;
  const n = (perPeer.get(c.peer) ?? 1) - 1;
  if (n <= 0) perPeer.delete(c.peer);
  else perPeer.set(c.peer, n);
}

/**
 * A minimal HTTP/1.1 server on a raw listener, so that connections can be
 * counted and capped (Bun.serve has no such limit): a request line and
 * headers, at most 8 KiB within 2 s, one response, close.
 */
function serve(host: string, port: number): void {
  try {
    const server = Bun.listen<Conn>({
      hostname: host, port,
      socket: {
        open(s) {
          const peer = s.remoteAddress ?? "?";
          const mine = perPeer.get(peer) ?? 0;
          s.data = { peer, buf: "", timer: null, done: true, unsent: null };
          if (open >= MAX_CONNECTIONS || mine >= MAX_CONNECTIONS_PER_PEER) return void s.terminate(); // over the cap: closed at once, nothing read
          open++;
          perPeer.set(peer, mine + 1);
          s.data.done = false;
          s.data.timer = setTimeout(() => s.terminate(), REQUEST_DEADLINE_MS);
        },
        data(s, chunk) {
          const c = s.data;
          if (c.done || c.timer === null) return;
          c.buf += new TextDecoder().decode(chunk);
          if (c.buf.length > REQUEST_MAX_BYTES) return void s.terminate();
          if (!c.buf.includes("\r\n\r\n") && !c.buf.includes("\n\n")) return;
          clearTimeout(c.timer);
          c.timer = null;
          void answer(s, c.buf.slice(0, c.buf.indexOf("\n")).trim());
        },
        drain(s) {
          flush(s);
        },
        close(s) {
          release(s.data);
        },
        error(s) {
          release(s.data);
        },
      },
    });
    post({ op: "listening", port: server.port });
  } catch (e) {
    post({ op: "failed", error: (e as Error).message });
  }
}

self.onmessage = (e: MessageEvent<ToMetrics>) => {
  const m = e.data;
  if (m.op === "listen") return serve(m.host, m.port);
  body = new TextEncoder().encode(m.text);
  renderedAt = performance.now();
  fresh = null;
  freshened();
};
