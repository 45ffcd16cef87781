/**
 * npm run bench:discovery — the monitor killed with kill -9 while 500
 * library components are connected, --trials times (20) per mode:
 *  - time until a new monitor is active (answers a ping), p50/p95;
 *  - time until all 500 are registered again (the monitor's own
 *    discovery-complete event, wall clock, against the kill), p50/p95;
 *  - components lost (not registered 10 s after the kill), summed;
 *  - counters lost (escalation history in the journal before the kill
 *    that is missing after the recovery), summed.
 * Modes: guard (`hamon discovery` starts a new monitor process) and standby
 * (`hamon discovery --standby` becomes the monitor in-process).
 * The monitor is the compiled binary (built now) unless --source.
 * Options: --trials N  --components N  --modes guard,standby  --source
 */
import { parseArgs } from "node:util";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lockPathFor, readHolder } from "../src/discovery/lock.ts";
import { answers } from "../src/discovery/ping.ts";
import { upCount } from "../test/helpers/monitor-proc.ts";
import { hamonArgv, pct } from "./bench-lib.ts";
import { until } from "../test/helpers/wait.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  trials: { type: "string", default: "20" }, components: { type: "string", default: "500" }, modes: { type: "string", default: "guard,standby" }, source: { type: "boolean", default: false },
} });
const TRIALS = Number(values.trials);
const N = Number(values.components);
const self = hamonArgv(values.source);


/** Escalation history per component, from the journal: the counters a crash must not lose. */
function counters(state: string): Map<string, number> {
  const j = JSON.parse(readFileSync(join(state, "journal.json"), "utf8"));
  const out = new Map<string, number>();
  for (const [name, c] of Object.entries(j.engine.components as Record<string, { failures: number[]; recoveries: number[] }>)) out.set(name, c.failures.length + c.recoveries.length);
  return out;
}

async function mode(name: "guard" | "standby"): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-bench-disc-"));
  const sock = join(dir, "hamon.sock");
  const state = join(dir, "state");
  const guardian = Bun.spawn([...self, "discovery", "--socket", sock, "--state-dir", state, "--log-level", "error", ...(name === "standby" ? ["--standby"] : [])], { stdout: "ignore", stderr: "inherit" });
  const swarm = Bun.spawn([process.execPath, join(import.meta.dir, "swarm.ts"), sock, String(N), "b"], { stdout: "pipe", stderr: "inherit" });
  try {
    await until(async () => (await upCount(sock)) === N, `${N} components registered`, 60_000);
    swarm.kill("SIGUSR1"); // one component sends an error report: escalation history to keep
    await until(() => (counters(state).get("b7") ?? 0) > 0, "history journaled");
    const standby = () => {
      // A standby that won becomes the monitor; the next one must already be waiting, as systemd or cron would keep one.
      const next = Bun.spawn([...self, "discovery", "--socket", sock, "--state-dir", state, "--log-level", "error", "--standby"], { stdout: "ignore", stderr: "inherit" });
      next.unref();
    };
    if (name === "standby") {
      standby();
      await Bun.sleep(500);
    }
    const active: number[] = [];
    const allBack: number[] = [];
    let lost = 0;
    let countersLost = 0;
    for (let i = 0; i < TRIALS; i++) {
      const before = counters(state);
      // Standby: the guardian itself becomes the monitor, so kill whoever holds the lock; a new standby takes over.
      const holder = readHolder(lockPathFor(sock))!;
      const killWall = Date.now();
      const t0 = performance.now();
      process.kill(holder.pid, "SIGKILL");
      await until(async () => (readHolder(lockPathFor(sock))?.pid ?? holder.pid) !== holder.pid && (await answers(sock, 1_000)), "a new monitor", 10_000);
      active.push(performance.now() - t0);
      let up = 0;
      try {
        await until(async () => (up = Math.max(0, await upCount(sock))) === N, "all back", 10_000);
      } catch {
        lost += N - up;
      }
      const events = readFileSync(join(state, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { event: string; time: number });
      const done = events.findLast((e) => e.event === "discovery-complete" || e.event === "discovery-incomplete");
      if (done && done.time >= killWall) allBack.push(done.time - killWall);
      const after = counters(state);
      for (const [n, c] of before) if ((after.get(n) ?? 0) < c) countersLost += c - (after.get(n) ?? 0);
      if (name === "standby") {
        standby();
        await Bun.sleep(500); // let it connect and start watching
      }
    }
    console.log(`${name.padEnd(8)} new monitor active: p50 ${pct(active, 0.5).toFixed(1)} ms, p95 ${pct(active, 0.95).toFixed(1)} ms | all ${N} registered again: p50 ${pct(allBack, 0.5).toFixed(0)} ms, p95 ${pct(allBack, 0.95).toFixed(0)} ms (${allBack.length}/${TRIALS} trials) | components lost ${lost} | counters lost ${countersLost}`);
  } finally {
    swarm.kill("SIGKILL");
    guardian.kill("SIGKILL");
    const h = readHolder(lockPathFor(sock));
    if (h) process.kill(h.pid, "SIGKILL");
    Bun.spawnSync(["pkill", "-KILL", "-f", sock]); // standbys and monitors of this run
  }
}

console.log(`bench:discovery — ${N} components, ${TRIALS} kill -9 per mode, monitor ${values.source ? "from source" : "compiled"}`);
for (const m of values.modes.split(",")) await mode(m as "guard" | "standby");
console.log("for comparison: OpenSAF reboots the node when its node director dies; pacemakerd re-attaches to its subdaemons but resets their respawn counters.");
