/**
 * Runs the checks the monitor carries out itself (probe and exec checks of
 * daemons that link no library), each within the check's timeout, and hands
 * back a health and a detail. Exec checks are bounded: at most
 * MAX_CONCURRENT_EXEC run at once (a burst of due checks queues instead of
 * forking a hundred processes in one tick); a queued one that waits past its
 * own timeout is not started (the check has failed on its deadline already).
 */
import type { CheckRun } from "../config/config.ts";
import type { Health } from "../protocol/messages.ts";
import { runProbe } from "./connect.ts";
import { runAudit } from "./exec.ts";

export const MAX_CONCURRENT_EXEC = 8;

type Done = (health: Health, detail: string) => void;

export class CheckRunner {
  private running = 0;
  private readonly queue: { argv: string[]; timeoutMs: number; until: number; done: Done }[] = [];

  start(run: CheckRun, timeoutMs: number, done: Done): void {
    if ("probe" in run) {
      void runProbe(run.probe, timeoutMs, run).then((why) => (why === null ? done("ok", `${run.probe.spec}: answered`) : done("failed", why)));
      return;
    }
    this.queue.push({ argv: run.exec, timeoutMs, until: performance.now() + timeoutMs, done });
    this.pump();
  }

  private pump(): void {
    while (this.running < MAX_CONCURRENT_EXEC && this.queue.length) {
      const job = this.queue.shift()!;
      const left = job.until - performance.now();
      if (left <= 0) continue; // waited out its deadline in the queue: its check failed on time already
      this.running++;
      void runAudit(job.argv, left, "exec check").then((r) => {
        this.running--;
        job.done(r.health, r.detail);
        this.pump();
      });
    }
  }
}
