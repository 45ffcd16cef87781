/**
 * npm run bench:clib — libhamon-component (C) against the compiled monitor,
 * beside the TypeScript library in the same run:
 *  - query round trip, relayed (client → monitor → component → monitor →
 *    client, the `query` verb), p50/p99 over --queries, for a C component
 *    and for a TypeScript one (hamon demo-component);
 *  - the C component's RSS beyond its own program (before hamon_new vs
 *    registered), and its own CPU (getrusage) idle and registered with a
 *    1 s health check over --idle seconds;
 *  - --many C components in one process (one connection each) started at
 *    once: the time until all are registered.
 * Options: --queries N (100000)  --idle S (30)  --many N (1000)  --source
 */
import { parseArgs } from "node:util";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../src/library/session.ts";
import { MAIN, startMonitor } from "../test/helpers/monitor-proc.ts";
import { until } from "../test/helpers/wait.ts";
import { collectLines } from "../test/helpers/lines.ts";
import { hamonArgv, pct } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  queries: { type: "string", default: "100000" }, idle: { type: "string", default: "30" }, many: { type: "string", default: "1000" }, source: { type: "boolean", default: false },
} });
const ROOT = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "hamon-bench-clib-"));
const exe = join(dir, "clib-bench");
const cc = Bun.spawnSync(["cc", "-std=c11", "-O2", `-I${ROOT}/src/c`, join(ROOT, "scripts", "clib-bench.c"), join(ROOT, "src", "c", "hamon_component.c"), join(ROOT, "src", "c", "hamon_xml.c"), join(ROOT, "src", "c", "hamon_wire.c"), "-lpthread", "-o", exe], { stderr: "inherit" });
if (cc.exitCode !== 0) process.exit(1);
const hamon = hamonArgv(values.source);
// The bench's one client asks as fast as it can: past the default 500 messages/s per connection it would be cut off.
writeFileSync(join(dir, "hamon.toml"), "[security]\nmax_messages_per_second = 1000000\n");
const mon = await startMonitor(["--config", join(dir, "hamon.toml"), "--log-level", "error"], hamon);

/** Relayed queries, alternating between the components (no order bias: the monitor and the client warm up for both). */
async function roundTrips(names: string[], n: number): Promise<Map<string, number[]>> {
  const s = await Session.open(mon.sock, { role: "client" });
  const lat = new Map(names.map((x) => [x, [] as number[]]));
  try {
    for (let i = 0; i < n * names.length; i++) {
      const name = names[i % names.length]!;
      const t = performance.now();
      const r = await s.request({ type: "command", id: s.nextId(), verb: "query", target: name, kind: "" }, 5_000);
      lat.get(name)!.push(performance.now() - t);
      if (r.type !== "result") throw new Error(`query ${name}: ${JSON.stringify(r)}`);
    }
  } finally {
    s.close();
  }
  return lat;
}

const N = Number(values.queries);
const IDLE = Number(values.idle);
const fmt = (x: number) => `${(x * 1000).toFixed(0)} µs`;
console.log(`== libhamon-component (C) and the TypeScript library, one compiled monitor ==`);

// C component: RSS, idle CPU, then round trips.
const c = Bun.spawn([exe, "serve", mon.sock, "cnode", String(IDLE)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
const co = { all: collectLines(c.stdout) };
await until(() => co.all.some((l) => l.startsWith("rss-before")), "C component registered", 10_000);
const [, before, , after] = co.all.find((l) => l.startsWith("rss-before"))!.split(" ").map(Number);
console.log(`C component RSS: ${(before! / 1024).toFixed(2)} MiB before hamon_new, ${(after! / 1024).toFixed(2)} MiB registered: +${((after! - before!) / 1024).toFixed(2)} MiB (target ≤ 2 MiB)`);
await until(() => co.all.some((l) => l.startsWith("idle-cpu-us")), "idle measured", (IDLE + 10) * 1000);
const idleLine = co.all.find((l) => l.startsWith("idle-cpu-us"))!.split(" ");
const idlePct = Number(idleLine[1]) / 1e6 / Number(idleLine[3]) * 100;
console.log(`C component idle, registered, 1 s health check: ${Number(idleLine[1]).toFixed(0)} µs CPU over ${idleLine[3]} s = ${idlePct.toFixed(4)} % of a core (target ≤ 0.01 %)`);
const fl = Bun.spawnSync([exe, "floor", "10"], { stdout: "pipe", stderr: "inherit" }).stdout.toString();
const floorUs = Number(/floor-us-per-wake (\d+)/.exec(fl)?.[1] ?? NaN);
console.log(`  the floor here: a bare C process woken once a second by a socket, reading and answering, costs ${floorUs} µs per wake = ${(floorUs / 1e4).toFixed(4)} % of a core; the component: ${(Number(idleLine[1]) / Number(idleLine[3])).toFixed(0)} µs per second`);

// TypeScript component, same monitor, same client.
const ts = Bun.spawn([...hamonArgv(true), "demo-component", "--name", "tsnode", "--behave", "steady"], { stdin: "ignore", stdout: "ignore", stderr: "inherit", env: { ...process.env, HAMON_SOCKET: mon.sock } });
const s0 = await Session.open(mon.sock, { role: "client" });
const tsUp = async () => {
  try {
    const r = await s0.request({ type: "command", id: s0.nextId(), verb: "show", target: "tsnode", kind: "" });
    return r.type === "result" && r.components[0]?.state === "up";
  } catch {
    return false; // E_NOT_FOUND until it registers
  }
};
await until(tsUp, "TS component registered", 15_000);
s0.close();
await roundTrips(["cnode", "tsnode"], Math.min(N, 2_000)); // warm-up
const rt = await roundTrips(["cnode", "tsnode"], N);
const cLat = rt.get("cnode")!;
const tsLat = rt.get("tsnode")!;
console.log(`query round trip (relayed: client → monitor → component → back), ${N} each:`);
console.log(`| library | p50 | p99 |\n|---|---|---|\n| C (libhamon-component) | ${fmt(pct(cLat, 0.5))} | ${fmt(pct(cLat, 0.99))} |\n| TypeScript | ${fmt(pct(tsLat, 0.5))} | ${fmt(pct(tsLat, 0.99))} |`);
console.log(`target C p99 ≤ TypeScript p99: ${pct(cLat, 0.99) <= pct(tsLat, 0.99) ? "met" : "NOT met"}`);
c.stdin.end();
await c.exited;
ts.kill("SIGTERM");
await ts.exited;

const m = Bun.spawnSync([exe, "many", mon.sock, values.many!], { stdout: "pipe", stderr: "inherit" });
console.log(`${m.stdout.toString().trim()} (target: all within 1,000 ms)`);
await mon.stop();
void MAIN;
