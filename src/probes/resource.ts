/**
 * Resource checks (`mode = "resource"`): how much a component's process uses,
 * against its limits: resident memory (`rss_max`), open descriptors as a
 * share of its own soft RLIMIT_NOFILE (`fds_max_pct`), threads
 * (`threads_max`), CPU over the check's period (`cpu_max_pct`, of one core).
 * Over a limit is failed (a restart), or degraded with `action = "degrade"`;
 * the reason names the figure ("rss 212 MiB > rss_max 200 MiB"). What catches
 * the leak monit misses: the limit is checked every period, however long the
 * process has been over it.
 *
 * A sample reads /proc into buffers made once (sys/proc-sample.ts); a
 * sample within its limits makes nothing (its detail is a constant).
 */
import type { ResourceRun } from "../config/check.ts";
import type { Health } from "../protocol/messages.ts";
import { newSample, procSampler, type ProcSampler, USER_HZ } from "../sys/proc-sample.ts";

const WITHIN = "within its limits";
const MiB = 2 ** 20;

export class ResourceChecks {
  /** The shared sampler, made at the first sample (proc-sample.ts). */
  private get sampler(): ProcSampler {
    return procSampler();
  }
  private readonly s = newSample();
  /** Per check: the CPU ticks and the time of its last sample (for cpu_max_pct). */
  private readonly last = new WeakMap<ResourceRun, Float64Array>();

  /** Samples `pid` for `run`: its health and why. */
  check(run: ResourceRun, pid: number, now: number): { health: Health; detail: string } {
    if (pid <= 0 || !this.sampler.sample(pid, this.s)) return { health: "ok", detail: "no process to sample" };
    const s = this.s;
    const r = run.resource;
    let prev = this.last.get(run);
    if (!prev) this.last.set(run, (prev = new Float64Array([-1, 0])));
    const cpuPct = prev[0]! >= 0 && now > prev[1]! ? ((s.cpuTicks - prev[0]!) / USER_HZ) / ((now - prev[1]!) / 1000) * 100 : 0;
    prev[0] = s.cpuTicks;
    prev[1] = now;
    const over =
      (r.rssMaxBytes !== null && s.rssBytes > r.rssMaxBytes) ||
      (r.fdsMaxPct !== null && s.fdLimit !== Infinity && s.fds * 100 > r.fdsMaxPct * s.fdLimit) ||
      (r.threadsMax !== null && s.threads > r.threadsMax) ||
      (r.cpuMaxPct !== null && cpuPct > r.cpuMaxPct);
    if (!over) return { health: "ok", detail: WITHIN };
    // Over a limit: the words (rare: allocating here is fine).
    const why: string[] = [];
    if (r.rssMaxBytes !== null && s.rssBytes > r.rssMaxBytes) why.push(`rss ${mib(s.rssBytes)} > rss_max ${mib(r.rssMaxBytes)}`);
    if (r.fdsMaxPct !== null && s.fdLimit !== Infinity && s.fds * 100 > r.fdsMaxPct * s.fdLimit) why.push(`${s.fds} open files > fds_max_pct ${r.fdsMaxPct} % of its limit ${s.fdLimit}`);
    if (r.threadsMax !== null && s.threads > r.threadsMax) why.push(`${s.threads} threads > threads_max ${r.threadsMax}`);
    if (r.cpuMaxPct !== null && cpuPct > r.cpuMaxPct) why.push(`cpu ${cpuPct.toFixed(0)} % > cpu_max_pct ${r.cpuMaxPct} %`);
    return { health: run.action === "degrade" ? "degraded" : "failed", detail: why.join("; ") };
  }
}

function mib(bytes: number): string {
  return bytes >= 10 * MiB ? `${Math.round(bytes / MiB)} MiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}
