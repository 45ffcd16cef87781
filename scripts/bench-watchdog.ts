/**
 * npm run bench:watchdog — the fast-path watchdog figures:
 *  1. scan cost per core, 8 / 128 / 1024 cores (real mapped regions, writers spinning);
 *  2. JS heap objects before/after 10^6 scans;
 *  3. detection latency of a stall injected at a random moment (1 ms poll, 5 ms dead threshold), p50/p99 over 100 stalls;
 *  4. monitor CPU polling 128 cores at 1 kHz;
 *  5. the datapath's cost: C writer loop iterations/s with hamon polling at 1 kHz vs no reader, alternating phases;
 *  6. false alarms during a soak of 8 healthy cores with idle phases (--soak-seconds, default 600;
 *     --soak-poll-ms/--soak-suspect-ms/--soak-dead-ms, default 10/50/250).
 */
import { parseArgs } from "node:util";
import { heapStats } from "bun:jsc";
import { HeartbeatWatch, type WatchEvent } from "../src/watchdog/watch.ts";
import { startSim, tmpPath, type Sim } from "../test/helpers/hbsim.ts";
import { pct } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  "soak-seconds": { type: "string", default: "600" },
  // Production defaults; the simulated cores are threads the OS may not schedule for several ms on a small VM.
  "soak-poll-ms": { type: "string", default: "10" }, "soak-suspect-ms": { type: "string", default: "50" }, "soak-dead-ms": { type: "string", default: "250" }, stalls: { type: "string", default: "100" }, only: { type: "string" },
} });
const SOAK_S = Number(values["soak-seconds"]);
const STALLS = Number(values.stalls);
const only = (k: string) => !values.only || values.only.split(",").includes(k);

async function attached(sim: Sim, path: string, policy: ConstructorParameters<typeof HeartbeatWatch>[1], onEvent: (e: WatchEvent) => void = () => {}) {
  const w = new HeartbeatWatch(path, policy, onEvent);
  for (let i = 0; i < 200 && !w.attached; i++) { w.poll(performance.now()); await Bun.sleep(2); }
  if (!w.attached) throw new Error(`could not attach ${path} (sim pid ${sim.pid})`);
  return w;
}

if (only("scan")) {
  console.log("== scan cost per core (real mapped region; writers beating every 100 ms, so the scan, not the sim threads, is measured) ==");
  for (const [n, plain] of [[8, false], [128, false], [1024, false], [8, true], [128, true], [1024, true]] as const) {
    // plain: an unsealed file, read by one pread per scan (never mapped: it could shrink under a mapping).
    const path = tmpPath();
    const sim = await startSim(path, n, { paceUs: 100_000, plain });
    const w = await attached(sim, path, { suspectMs: 1e9, deadMs: 1e9, idleSlackMs: 0, pollMs: 1e9, slowEvery: 1e9 });
    const scans = Math.max(2000, Math.round(2_000_000 / n));
    let t = performance.now();
    for (let k = 0; k < 1000; k++) w.poll(t + k);
    const t0 = Bun.nanoseconds();
    for (let k = 0; k < scans; k++) w.poll(t + 1000 + k);
    const ns = (Bun.nanoseconds() - t0) / scans;
    console.log(`${String(n).padStart(5)} cores: ${(ns / n).toFixed(2)} ns per core (${(ns / 1000).toFixed(2)} µs per scan, sealed=${w.sealed})`);
    if (n === 128 && !plain && only("heap")) {
      Bun.gc(true);
      const before = heapStats().objectCount;
      for (let k = 0; k < 1_000_000; k++) w.poll(t + 10_000 + k);
      Bun.gc(true);
      const after = heapStats().objectCount;
      console.log(`  heap objects before/after 10^6 scans of 128 cores: ${before} → ${after} (Δ ${after - before})`);
    }
    w.close();
    await sim.send("quit");
  }
}

if (only("latency")) {
  console.log(`\n== detection latency: stall at a random moment, 1 ms poll, 5 ms dead threshold, ${STALLS} stalls ==`);
  const path = tmpPath();
  const sim = await startSim(path, 1); // one spinning core, as a DPDK lcore
  let deadAt = 0;
  const w = await attached(sim, path, { suspectMs: 2, deadMs: 5, idleSlackMs: 1, pollMs: 1, slowEvery: 200 }, (e) => {
    if (e.slot === 0 && e.verdict === "dead") deadAt = performance.now();
  });
  const timer = setInterval(() => w.poll(performance.now()), 1);
  const lat: number[] = [];
  for (let k = 0; k < STALLS; k++) {
    await Bun.sleep(20 + Math.random() * 30);
    deadAt = 0;
    const t0 = performance.now();
    await sim.send("stall 0");
    const ack = performance.now();
    while (deadAt === 0) await Bun.sleep(0.2);
    lat.push(deadAt - (t0 + ack) / 2);
    await sim.send("resume 0");
  }
  clearInterval(timer);
  console.log(`stall → dead: p50 ${pct(lat, 0.5).toFixed(2)} ms   p99 ${pct(lat, 0.99).toFixed(2)} ms   max ${Math.max(...lat).toFixed(2)} ms (target p99 ≤ 5 + 2×1 = 7 ms; rte_keepalive: 10–15 ms)`);
  w.close();
  await sim.send("quit");
}

if (only("cpu")) {
  console.log("\n== monitor CPU: 128 cores polled at 1 kHz for 10 s ==");
  const path = tmpPath();
  const sim = await startSim(path, 128, { paceUs: 1000 });
  const w = await attached(sim, path, { suspectMs: 50, deadMs: 250, idleSlackMs: 50, pollMs: 1 });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let polls = 0;
  const timer = setInterval(() => { w.poll(performance.now()); polls++; }, 1);
  await Bun.sleep(10_000);
  clearInterval(timer);
  const c = process.cpuUsage(c0);
  const dt = performance.now() - t0;
  console.log(`${polls} polls in ${(dt / 1000).toFixed(1)} s: ${(((c.user + c.system) / 1000 / dt) * 100).toFixed(2)} % of one core (includes the timer wake-ups)`);
  w.close();
  await sim.send("quit");
}

if (only("datapath")) {
  console.log("\n== datapath cost: C writer loop iterations/s, hamon polling at 1 kHz vs no reader (alternating 2 s phases ×5) ==");
  const path = tmpPath();
  const sim = await startSim(path, 1);
  const loops = async () => Number((await sim.send("loops")).split(" ")[1]);
  const w = await attached(sim, path, { suspectMs: 50, deadMs: 250, idleSlackMs: 50, pollMs: 1 });
  const rate = { reader: [] as number[], none: [] as number[] };
  for (let round = 0; round < 10; round++) {
    const reading = round % 2 === 1;
    const timer = reading ? setInterval(() => w.poll(performance.now()), 1) : null;
    const l0 = await loops();
    const t0 = performance.now();
    await Bun.sleep(2000);
    const l1 = await loops();
    (reading ? rate.reader : rate.none).push((l1 - l0) / ((performance.now() - t0) / 1000));
    if (timer) clearInterval(timer);
  }
  const med = (a: number[]) => pct(a, 0.5);
  const slow = (1 - med(rate.reader) / med(rate.none)) * 100;
  console.log(`no reader: ${(med(rate.none) / 1e6).toFixed(2)} M iter/s   hamon at 1 kHz: ${(med(rate.reader) / 1e6).toFixed(2)} M iter/s   slowdown ${slow.toFixed(2)} % (median of 5 phases each; target ≤ 0.5 %)`);
  w.close();
  await sim.send("quit");
}

if (only("soak") && SOAK_S > 0) {
  const soak = { pollMs: Number(values["soak-poll-ms"]), suspectMs: Number(values["soak-suspect-ms"]), deadMs: Number(values["soak-dead-ms"]) };
  console.log(`\n== false alarms: 8 healthy cores with idle phases, ${SOAK_S} s, ${soak.pollMs} ms poll, ${soak.suspectMs} ms suspect / ${soak.deadMs} ms dead ==`);
  const path = tmpPath();
  const sim = await startSim(path, 8, { paceUs: 50 });
  const alarms: WatchEvent[] = [];
  const w = await attached(sim, path, { suspectMs: soak.suspectMs, deadMs: soak.deadMs, idleSlackMs: 50, pollMs: soak.pollMs }, (e) => {
    if (e.verdict !== "ok" && e.verdict !== "attached") alarms.push(e);
  });
  const timer = setInterval(() => w.poll(performance.now()), soak.pollMs);
  const end = performance.now() + SOAK_S * 1000;
  let idles = 0;
  while (performance.now() < end) {
    await Bun.sleep(200 + Math.random() * 300);
    const promise = 20 + Math.floor(Math.random() * 200);
    await sim.send(`idle ${Math.floor(Math.random() * 8)} ${promise} ${Math.floor(promise * Math.random())}`);
    idles++;
  }
  clearInterval(timer);
  console.log(`${idles} idle phases; false alarms: ${alarms.length}${alarms.length ? ` (${alarms.map((a) => `${a.slot}:${a.verdict}`).join(", ")})` : ""}; late scans rebased: ${w.lateScans}`);
  w.close();
  await sim.send("quit");
}
