/**
 * Many library components in one process, for bench:monitor: `bun
 * scripts/swarm.ts SOCKET N [PREFIX]` registers N components (default check:
 * the monitor queries each every second), prints "ready N" when all are
 * registered, answers queries until SIGTERM. SIGUSR1 makes component #7
 * send one error report.
 */
import { Component } from "../src/library/component.ts";

const [sock, nText, prefix = "c"] = Bun.argv.slice(2);
const n = Number(nText);
if (!sock || !Number.isInteger(n) || n < 1) {
  console.error("usage: swarm.ts SOCKET N [PREFIX]");
  process.exit(2);
}
const comps: Component[] = [];
// SIGUSR1: the 8th component sends one error report (tests give it escalation
// history this way). Installed before anything registers: SIGUSR1's default
// action would kill the swarm if it came before the handler.
process.on("SIGUSR1", () => comps[Math.min(7, n - 1)]!.errorReport("restart-daemon", "swarm: requested error report"));
for (let i = 0; i < n; i++) comps.push(new Component({ name: `${prefix}${i}`, socket: sock, onQuery: () => ({ health: "ok", detail: "" }) }));
// Register in batches so a 1,000-component start does not overrun the accept backlog.
for (let i = 0; i < n; i += 100) await Promise.all(comps.slice(i, i + 100).map((c) => c.start()));
console.log(`ready ${n}`);
await new Promise<void>((r) => process.on("SIGTERM", () => r()));
await Promise.all(comps.map((c) => c.stop("bench done")));
process.exit(0);
