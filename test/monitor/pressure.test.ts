/**
 * Pressure (PSI) on a real machine: CPU hogs, two per CPU, make runnable
 * tasks wait for a CPU most of the time; held past pressure_for_ms, the node
 * turns yellow with the reason, in the event stream and in status; the hogs
 * gone, it is green again.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const hogs: ReturnType<typeof Bun.spawn>[] = [];
afterEach(async () => {
  for (const h of hogs.splice(0)) h.kill("SIGKILL");
  for (const w of running.splice(0)) await w.close().catch(() => 0);
});

test.skipIf(!existsSync("/proc/pressure/cpu"))("CPU hogs past pressure_for_ms turn the node yellow, with the reason in events and status; gone, it is green again", async () => {
  const w = await startWatched(`[node]\npressure_cpu_pct = 50\npressure_memory_pct = 0\npressure_io_pct = 0\npressure_for_ms = 2000\npressure_penalty = 15\n[[component]]\nname = "idle"\nplane = "system"\nstart = ["/bin/sleep", "600"]\nready = "started"\n`);
  running.push(w);
  await until(async () => (await stateOf(w, "idle")) === "up/ok", "idle up", 10_000);
  const from = w.events.length;
  for (let i = 0; i < 2 * availableParallelism(); i++) hogs.push(Bun.spawn(["/bin/sh", "-c", "while :; do :; done"]));
  const yellow = await w.waitEvent((e) => e.event === "node-yellow" && e.reason.includes("cpu pressure"), "node yellow for CPU pressure", from, 30_000);
  expect(yellow.reason).toContain("cpu pressure ≥ 50 % for 2 s");
  expect(yellow.reason).toMatch(/^penalty (1[5-9]|[2-9]\d)/);
  const st = await w.cmd("status");
  expect(st.type === "result" && st.monitor?.node?.reason).toContain("cpu pressure ≥ 50 % for 2 s");
  for (const h of hogs.splice(0)) h.kill("SIGKILL");
  const back = await w.waitEvent((e) => e.event === "node-green", "green again", w.events.indexOf(yellow), 30_000);
  expect(back.reason).toContain("was yellow");
}, 90_000);
