/**
 * The watchdog's own thread (`[monitor] watchdog_thread`): a core that stalls
 * while the monitor's main loop chews a burst of 2,000 socket requests is
 * called dead on time, because the poll no longer waits behind the socket.
 * The same flood with the watchdog on the main loop delays the verdict; the
 * two are compared as a ratio, in one test (no absolute times asserted).
 * The dead event's `time` is when the verdict was decided (on the thread, it
 * is stamped there).
 */
import { afterEach, expect, test } from "bun:test";
import { encode } from "../../src/protocol/codec.ts";
import { encodeFrame } from "../../src/protocol/framing.ts";
import { startSim, tmpPath, type Sim } from "../helpers/hbsim.ts";
import { startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";
import { connectRetry } from "../helpers/wait.ts";

const running: Watched[] = [];
const sims: Sim[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.kill().catch(() => {});
  for (const w of running.splice(0)) await w.close();
});

const frame = (m: Parameters<typeof encode>[0]) => encodeFrame(encode(m));
const CONNECTIONS = 20;
const PER_CONNECTION = 100; // 2,000 `status` requests in all, each connection's in one write

/** Median delay (ms) from a stall to its dead verdict's time, over `trials` stalls each under a fresh flood. */
async function stallUnderFlood(thread: boolean, trials: number): Promise<{ delays: number[]; attached: string }> {
  const hb = tmpPath();
  const sim = await startSim(hb, 1);
  sims.push(sim);
  // An appliance's worth of components for each `status` to render (dynamic ones, not activated: no process needed).
  const many = Array.from({ length: 100 }, (_, i) => `[[component]]\nname = "d${i}"\nkind = "dynamic"\n`).join("");
  const w = await startWatched(`${many}[monitor]\ndry_run = true\ntick_ms = 2\nwatchdog_thread = ${thread}\n[security]\nmax_messages_per_second = 1000000\n[[fastpath]]\nname = "fp"\nheartbeat = "${hb}"\nsuspect_ms = 10\ndead_ms = 30\nladder = []\nflap_restarts = 1000\n`);
  running.push(w);
  await until(async () => (await stateOf(w, "fp")) === "up/ok", "fp attached");
  const attached = w.stderr().split("\n").find((l) => l.includes("event attached")) ?? "";
  // A real request (id ≥ 1: an id of 0 is refused at once, which costs the monitor nothing).
  const status = frame({ type: "command", id: 1, verb: "status", target: "", kind: "" });
  const hello = frame({ type: "hello", version: 1, minVersion: 1, role: "client", agent: "flood" });
  const burst = new Uint8Array(status.length * PER_CONNECTION);
  for (let k = 0; k < PER_CONNECTION; k++) burst.set(status, k * status.length);
  const delays: number[] = [];
  for (let t = 0; t < trials; t++) {
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectRetry(w.sock, { data() {} })));
    for (const c of conns) c.write(hello);
    await Bun.sleep(100);
    const mark = w.events.length;
    const t0 = Date.now();
    await sim.send("stall 0");
    for (const c of conns) c.write(burst);
    const dead = await w.waitEvent((e) => e.component === "fp" && e.event === "core-dead", "core dead under the flood", mark);
    delays.push(dead.time - t0);
    await sim.send("resume 0");
    await w.waitEvent((e) => e.component === "fp" && e.event === "cores-ok", "cores ok", mark);
    for (const c of conns) c.end();
    await Bun.sleep(300);
  }
  // Each variant alone on the machine: the first one's monitor and spinning writer gone before the next starts.
  await w.close();
  running.splice(running.indexOf(w), 1);
  await sim.kill();
  sims.splice(sims.indexOf(sim), 1);
  return { delays, attached };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test("a stall during a burst of 2,000 requests: dead on time with the watchdog's thread, later with the poll on the main loop", async () => {
  const main = await stallUnderFlood(false, 3);
  const own = await stallUnderFlood(true, 3);
  const ratio = median(own.delays) / median(main.delays);
  console.log(`stall → dead under a 2,000-request flood (dead_ms 30): own thread ${own.delays.join("/")} ms, main loop ${main.delays.join("/")} ms; ratio ${ratio.toFixed(2)}`);
  expect(own.attached).toContain("scanned on the watchdog's thread");
  expect(main.attached).not.toContain("watchdog's thread");
  // The flood must really hold the main loop up, or the comparison proves nothing.
  expect(median(main.delays)).toBeGreaterThan(2 * 30);
  expect(ratio).toBeLessThan(0.5);
}, 90_000);
