/**
 * npm run bench:protocol — prints the protocol figures of the README:
 *  1. encode/decode cost per typical message (in-process);
 *  2. request/reply round trip, client library ⇄ real monitor process, p50/p99/p99.9;
 *  3. messages/s and monitor RSS with 1,000 concurrent connections.
 * Options: --round-trips N (default 100000), --connections N (1000), --seconds S (5),
 * --source (run the monitor from source instead of the compiled dist/hamon).
 */
import { parseArgs } from "node:util";
import type { Socket } from "bun";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "../src/protocol/codec.ts";
import { encodeFrame } from "../src/protocol/framing.ts";
import type { Message } from "../src/protocol/messages.ts";
import { Session } from "../src/library/session.ts";
import { MAIN, startMonitor } from "../test/helpers/monitor-proc.ts";
import { connectRetry } from "../test/helpers/wait.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  "round-trips": { type: "string", default: "100000" }, connections: { type: "string", default: "1000" }, seconds: { type: "string", default: "5" }, source: { type: "boolean", default: false },
} });
const ROUND_TRIPS = Number(values["round-trips"]);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);

const typical: [string, Message][] = [
  ["report", { type: "report", health: "degraded", reason: "neighbour 10.0.0.2 flapping" }],
  ["register+2 checks", { type: "register", id: 17, name: "ospfd", kind: "dynamic", plane: "control", pid: 4242, checks: [
    { name: "lsdb", mode: "query", periodMs: 1000, timeoutMs: 200 }, { name: "spf", mode: "confirm", periodMs: 5000, timeoutMs: 0 }] }],
  ["reply", { type: "reply", id: 99, health: "ok", detail: "lsdb 1200 LSAs checksum ok" }],
  ["result, 10 components", { type: "result", id: 5, monitor: { pid: 1, version: "0.1.0", uptimeMs: 1000 }, detail: "", components: Array.from({ length: 10 }, (_, i) => (
    { name: `comp${i}`, kind: "static", plane: "control", state: "up", health: "ok", reason: "", pid: 100 + i, ageMs: 12, restarts: 0 })) }],
];

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

console.log("== codec (in-process, per message) ==");
for (const [label, m] of typical) {
  const xml = encode(m);
  const N = 100_000;
  for (let i = 0; i < 5_000; i++) decode(encode(m));
  let t = Bun.nanoseconds();
  for (let i = 0; i < N; i++) encode(m);
  const enc = (Bun.nanoseconds() - t) / N;
  t = Bun.nanoseconds();
  for (let i = 0; i < N; i++) decode(xml);
  const dec = (Bun.nanoseconds() - t) / N;
  console.log(`${label.padEnd(22)} ${String(xml.length).padStart(5)} B   encode ${(enc / 1000).toFixed(2)} µs   decode ${(dec / 1000).toFixed(2)} µs`);
}

// Measure the product: the compiled binary (built now), unless --source is given.
const BIN = "dist/hamon";
if (!values.source) {
  const b = Bun.spawnSync([process.execPath, "build.ts", "--outfile", BIN], { stdout: "ignore", stderr: "inherit" });
  if (b.exitCode !== 0) process.exit(1);
}
const monitorCmd = values.source ? [process.execPath, MAIN] : [BIN];
// This bench measures the protocol, not the flood limiter: lift the per-connection rate (docs/security.md).
const cfgDir = mkdtempSync(join(tmpdir(), "hamon-bench-"));
writeFileSync(join(cfgDir, "hamon.toml"), "[security]\nmax_messages_per_second = 1000000\n");
const monitorArgs = ["--log-level", "warn", "--config", join(cfgDir, "hamon.toml")];
let mon = await startMonitor(monitorArgs, monitorCmd);
console.log(`\nmonitor under test: ${values.source ? "bun src/main.ts" : BIN}`);
try {
  console.log(`\n== round trip: library client ⇄ monitor process over a UNIX socket (${ROUND_TRIPS} pings) ==`);
  const s = await Session.open(mon.sock, { role: "client" });
  const rtt = new Float64Array(ROUND_TRIPS);
  for (let i = 0; i < 2_000; i++) await s.request({ type: "command", id: s.nextId(), verb: "ping", target: "", kind: "" });
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = Bun.nanoseconds();
    await s.request({ type: "command", id: s.nextId(), verb: "ping", target: "", kind: "" });
    rtt[i] = (Bun.nanoseconds() - t0) / 1000;
  }
  s.close();
  rtt.sort();
  console.log(`p50 ${pct(rtt, 0.5).toFixed(1)} µs   p99 ${pct(rtt, 0.99).toFixed(1)} µs   p99.9 ${pct(rtt, 0.999).toFixed(1)} µs   max ${rtt[rtt.length - 1]!.toFixed(1)} µs`);

  console.log(`\n== throughput: ${CONNECTIONS} concurrent connections, closed-loop ping, ${SECONDS} s ==`);
  // A fresh monitor, so this figure does not carry the heap grown by the round-trip phase.
  await mon.stop();
  mon = await startMonitor(monitorArgs, monitorCmd);
  await Bun.sleep(300);
  const rssIdle = mon.rssKiB();
  const hello = encodeFrame(encode({ type: "hello", version: 1, minVersion: 1, role: "client", agent: "bench" }));
  const ping = encodeFrame(encode({ type: "command", id: 1, verb: "ping", target: "", kind: "" }));
  let replies = 0;
  let running = true;
  const conns = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    let pendingBytes = 0;
    const handlers = {
      open(sock: Socket) { sock.write(hello); },
      data(sock: Socket, chunk: Buffer) {
        // Count frames by their length prefixes only: this is a load generator, like wrk.
        let off = 0;
        pendingBytes += chunk.length;
        while (pendingBytes >= 4 && off + 4 <= chunk.length) {
          const len = chunk.readUInt32BE(off);
          if (off + 4 + len > chunk.length) break;
          off += 4 + len;
          pendingBytes -= 4 + len;
          replies++;
          if (running) sock.write(ping);
        }
      },
    };
    conns.push(await connectRetry(mon.sock, handlers)); // a fresh monitor's accept backlog fills: retry like a real client
    if (i % 100 === 99) await Bun.sleep(1);
  }
  await Bun.sleep(200);
  const cpu0 = readFileSync(`/proc/${mon.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const r0 = replies;
  const t0 = performance.now();
  await Bun.sleep(SECONDS * 1000);
  const dt = (performance.now() - t0) / 1000;
  const served = replies - r0;
  const cpu1 = readFileSync(`/proc/${mon.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(cpu1[11]) + Number(cpu1[12]) - Number(cpu0[11]) - Number(cpu0[12]);
  const rss = mon.rssKiB();
  running = false;
  for (const c of conns) c.end();
  console.log(`${Math.round(served / dt)} request/reply pairs/s (${Math.round((2 * served) / dt)} messages/s in+out)   monitor CPU ${(ticks / dt).toFixed(0)}% of a core   monitor RSS ${(rss / 1024).toFixed(1)} MiB (${(rssIdle / 1024).toFixed(1)} MiB before)`);
} finally {
  await mon.stop();
}
