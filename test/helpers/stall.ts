/**
 * A whole-machine stall: a busy loop at real-time priority (`chrt -f 50`) on
 * every CPU, each bounded by `timeout -s KILL`. Everything else stands still
 * meanwhile, but for the kernel's RT throttling (95 % by default: the rest
 * get 50 ms a second). Needs root. Used by test/monitor/stall.test.ts and
 * `npm run bench:plain`.
 */
import { cpus } from "node:os";

export async function stallMachine(seconds: number): Promise<void> {
  const s = seconds.toFixed(3);
  const hogs = cpus().map((_, i) => Bun.spawn(["timeout", "-s", "KILL", s, "taskset", "-c", String(i), "chrt", "-f", "50", "sh", "-c", "while :; do :; done"], { stdout: "ignore", stderr: "ignore" }));
  await Promise.all(hogs.map((h) => h.exited));
}
