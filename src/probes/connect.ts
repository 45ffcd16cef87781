/**
 * Connect probes, for everyone who watches a daemon from outside (the
 * monitor's plain daemons and the sidecar, through src/probes/runner.ts): can a client reach the
 * daemon's service right now? A probe is a connect (TCP or UNIX stream) with
 * a deadline; it sends nothing and closes at once, so it works against any
 * protocol. A refused or timed-out connect means the daemon is alive but not
 * serving: the watcher reports it `failed` with the probe's own words.
 * The spec (`tcp://HOST:PORT`, `unix:PATH`) is parsed by config/probe-spec.ts.
 */
import type { Probe } from "../config/probe-spec.ts";
import { connectProbe } from "../sys/libc.ts";
/** Most bytes of an answer kept while looking for `expect`. */
export const EXPECT_MAX_BYTES = 4096;

/**
 * Connects once; resolves null when the service accepted (and, with `expect`,
 * answered `send` with bytes containing it, all within `timeoutMs`), else why
 * not. A stopped (SIGSTOP) daemon's socket still accepts: only send/expect
 * tells it is hung. Never rejects.
 */
export function runProbe(p: Probe, timeoutMs: number, io: { send: string; expect: string } = { send: "", expect: "" }): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    let seen = "";
    let sock: { end(): void } | null = null;
    const done = (why: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Every end closes the socket, a timeout included (a probe that hangs leaks nothing).
      close();
      resolve(why);
    };
    // A graceful close (FIN), never a reset: a daemon that treats a reset as an error (or dies of one) is not the probe's to upset.
    const close = () => {
      try {
        sock?.end();
      } catch {
        /* already closed */
      }
    };
    let backlog = false;
    const timer = setTimeout(() => done(backlog ? `${p.spec}: not accepting within ${timeoutMs} ms (its listen backlog is full)` : sock && io.expect ? `${p.spec}: no '${io.expect}' within ${timeoutMs} ms` : `${p.spec}: no answer within ${timeoutMs} ms`), timeoutMs);
    // The errno name (ECONNREFUSED, ECONNRESET, ENOENT) is what an operator greps for; the message only when there is none.
    const failed = (e: Error) => {
      const code = (e as NodeJS.ErrnoException).code;
      // Bun says ECONNREFUSED for a UNIX socket whose backlog is full (the kernel's EAGAIN): a daemon too busy to
      // accept is silent, not refusing; its probe waits out the deadline like any unanswered one (engine/stall.ts).
      if (p.kind === "unix" && code === "ECONNREFUSED" && connectProbe(p.path) === "busy") return void (backlog = true);
      done(`${p.spec}: ${code ?? e.message}`);
    };
    const handlers = {
      open: (s: { end(): void; write(b: string): number }) => {
        sock = s;
        if (settled) return close(); // connected after its deadline: closed at once
        if (io.send) s.write(io.send);
        if (!io.expect) done(null);
      },
      data: (_s: unknown, d: Uint8Array) => {
        if (settled) return close();
        // Bounded: an answer is looked at up to EXPECT_MAX_BYTES, then the probe ends (a peer that streams megabytes costs nothing more).
        seen += decoder.decode(d.subarray(0, Math.max(0, EXPECT_MAX_BYTES - seen.length)));
        if (seen.includes(io.expect)) done(null);
        else if (seen.length >= EXPECT_MAX_BYTES) done(`${p.spec}: no '${io.expect}' in the first ${EXPECT_MAX_BYTES} bytes`);
      },
      close: () => done(`${p.spec}: closed before '${io.expect}'`),
      error: (_s: unknown, e: Error) => failed(e),
      connectError: (_s: unknown, e: Error) => failed(e),
    };
    const opened = p.kind === "tcp" ? Bun.connect({ hostname: p.host, port: p.port, socket: handlers }) : Bun.connect({ unix: p.path, socket: handlers });
    opened.then((s) => {
      sock = s;
      if (settled) close();
    }, failed);
  });
}

const decoder = new TextDecoder();
