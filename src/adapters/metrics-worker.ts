/**
 * The Prometheus endpoint (`[prometheus] listen`), on a thread of its own (a
 * Worker at nice 10): anyone on the host can connect to it, so a flood of
 * requests must cost the monitor's loop nothing. The loop renders the text
 * (at most every METRICS_FRESH_MS, and only when a request found it older:
 * that request, and every other meanwhile, waits for the new one) and posts
 * it here; requests are answered from that copy. Each peer
 * address gets a token bucket: past it, 429 at once.
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

function serve(host: string, port: number): void {
  try {
    const server = Bun.serve({
      hostname: host, port, reusePort: false, idleTimeout: 10,
      async fetch(req, srv) {
        const now = performance.now();
        if (!allow(srv.requestIP(req)?.address ?? "?", now)) return new Response("too many requests\n", { status: 429, headers: { "retry-after": "1" } });
        if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
        const path = new URL(req.url).pathname;
        if (path === "/metrics") {
          if (now - renderedAt > METRICS_FRESH_MS) {
            if (!fresh) {
              fresh = new Promise<void>((r) => (freshened = r));
              post({ op: "stale" });
            }
            await Promise.race([fresh, Bun.sleep(WAIT_FRESH_MS)]);
          }
          return new Response(body, { headers: { "content-type": CONTENT_TYPE } });
        }
        if (path === "/") return new Response("hamon metrics: /metrics\n");
        return new Response("not found\n", { status: 404 });
      },
      error: (e) => new Response(`error: ${e.message}\n`, { status: 500 }),
    });
    post({ op: "listening", port: server.port ?? 0 });
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
