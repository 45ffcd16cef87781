/**
 * Runs the checks the monitor carries out itself (probe and exec checks of
 * daemons that link no library), each within the check's timeout, and hands
 * back a health and a detail. Exec checks are bounded: at most
 * MAX_CONCURRENT_EXEC run at once (a burst of due checks queues instead of
 * forking a hundred processes in one tick); a queued one that waits past its
 * own timeout is not started (the check has failed on its deadline already).
 */
import type { ExternalRun as CheckRun } from "../config/check.ts";
import type { Health } from "../protocol/messages.ts";
import { runProbe } from "./connect.ts";
import { runAudit, type RunAs } from "./exec.ts";
import { cpuStallUs } from "../sys/psi.ts";
import type { ExitCodes } from "../config/check.ts";

/**
 * What the window since `t0` (PSI `s0`) lost, for a result that came at its
 * deadline (a timeout: one before it is an answer, a refusal or an exit
 * status, and proves what it says): how far past the deadline it came, or
 * the CPU stall meanwhile, the larger.
 */
function lost(t0: number, s0: number, timeoutMs: number): number {
  const elapsed = performance.now() - t0;
  if (elapsed < timeoutMs) return 0;
  const s1 = s0 < 0 ? -1 : cpuStallUs();
  return Math.max(elapsed - timeoutMs, s1 < 0 ? 0 : (s1 - s0) / 1000);
}

export const MAX_CONCURRENT_EXEC = 8;

/**
 * A failed result that came this much later than its own deadline proves
 * nothing: the monitor (or the whole machine) was not running meanwhile, so
 * the daemon may not have had its time to answer. The same threshold as the
 * monitor's own starvation guard (monitor/loop.ts).
 */
export const STALE_AFTER_MS = 250;

/**
 * `lostMs`: of a failed result's window, how much the monitor or the machine
 * lost: how far past its deadline it came, or how long runnable tasks (the
 * daemon's among them) waited for a CPU meanwhile (PSI), the larger; 0 on time.
 * `silent`: it failed by its deadline (no answer, an exec check killed), not by
 * an answer: what a busy daemon gives too (engine/stall.ts tells them apart).
 */
type Done = (health: Health, detail: string, lostMs: number, silent: boolean) => void;

/** A failure that came at its deadline (the timer's own slack allowed) was silence. */
function silentSince(t0: number, timeoutMs: number): boolean {
  return performance.now() - t0 >= timeoutMs - 1;
}

/** Worse first: how several checks' results combine into one health. */
const RANK: Record<Health, number> = { ok: 0, degraded: 1, failed: 2 };

export class CheckRunner {
  private running = 0;
  private readonly queue: { run: CheckRun; argv: string[]; codes: ExitCodes; timeoutMs: number; until: number; done: Done; as: RunAs | null }[] = [];
  /**
   * Exec checks queued or running, with who waits for each: one check has at
   * most one run in flight (it cannot take the shared capacity); a second
   * start while it runs waits for that run's result instead of starting another.
   */
  private readonly inFlight = new Map<CheckRun, Done[]>();

  /** `as`: who an exec check runs as (the component's user; null: as the monitor). */
  start(run: CheckRun, timeoutMs: number, done: Done, as: RunAs | null = null): void {
    if ("probe" in run) {
      const t0 = performance.now();
      const s0 = cpuStallUs();
      void runProbe(run.probe, timeoutMs, run).then((why) => (why === null ? done("ok", `${run.probe.spec}: answered`, 0, false) : done("failed", why, lost(t0, s0, timeoutMs), silentSince(t0, timeoutMs))));
      return;
    }
    const waiting = this.inFlight.get(run);
    if (waiting) return void waiting.push(done);
    this.inFlight.set(run, [done]);
    const all: Done = (health, detail, lateMs, silent) => {
      const ds = this.inFlight.get(run) ?? [];
      this.inFlight.delete(run);
      for (const d of ds) d(health, detail, lateMs, silent);
    };
    this.queue.push({ run, argv: run.exec, codes: run.codes, timeoutMs, until: performance.now() + timeoutMs, done: all, as });
    this.pump();
  }

  /**
   * Runs every check at once (exec ones within the bound) and resolves with
   * the worst result, the first in `runs`' order among equals: the sidecar's
   * health. Never rejects.
   */
  all(runs: readonly CheckRun[], timeoutMs: number): Promise<{ health: Health; detail: string }> {
    if (runs.length === 0) return Promise.resolve({ health: "ok", detail: "" });
    return new Promise((resolve) => {
      const got: ({ health: Health; detail: string } | null)[] = runs.map(() => null);
      let left = runs.length;
      runs.forEach((run, i) => this.start(run, timeoutMs, (health, detail) => {
        got[i] = { health, detail };
        if (--left > 0) return;
        let worst = got[0]!;
        for (const r of got) if (RANK[r!.health] > RANK[worst.health]) worst = r!;
        resolve(worst);
      }));
    });
  }

  private pump(): void {
    while (this.running < MAX_CONCURRENT_EXEC && this.queue.length) {
      const job = this.queue.shift()!;
      const t0 = performance.now();
      const s0 = cpuStallUs();
      const left = job.until - t0;
      if (left <= 0) {
        // Waited out its deadline in the queue: never started. Said, so that whoever waits for every result (the sidecar) is not left waiting.
        job.done("failed", `exec check ${job.argv[0]}: not started within ${Math.round(job.timeoutMs)} ms (${MAX_CONCURRENT_EXEC} exec checks already running)`, Math.max(0, -left), false);
        continue;
      }
      this.running++;
      // Freed at the deadline whoever holds its pipes (process/run.ts closes our ends and kills its group).
      void runAudit(job.argv, left, "exec check", job.as, job.codes).then((r) => {
        this.running--;
        const failed = r.health === "failed";
        job.done(r.health, r.detail, failed ? lost(t0, s0, left) : 0, failed && silentSince(t0, left));
        this.pump();
      });
    }
  }
}
