/** What every bench:* script shares: the hamon under test and percentiles. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MAIN } from "../test/helpers/monitor-proc.ts";

/** argv that runs hamon: dist/hamon built now (what users run), or from source. Exits on a failed build. */
export function hamonArgv(fromSource = false): string[] {
  if (fromSource) return [process.execPath, MAIN];
  const bin = join(process.cwd(), "dist", "hamon");
  const b = Bun.spawnSync([process.execPath, "build.ts", "--outfile", bin], { stdout: "ignore", stderr: "inherit" });
  if (b.exitCode !== 0) process.exit(1);
  return [bin];
}

/** The p-quantile (0..1) of unsorted samples, nearest rank. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

/** One thread's counters: its name, context switches (each a wake-up on an idle machine) and time on a CPU (ns, the kernel's exact sum, not 10 ms ticks). */
interface ThreadCounters { name: string; switches: number; runNs: number }
/** Every live thread of every process in `pids`, by "pid/tid". */
export function threadCounters(pids: readonly number[]): Map<string, ThreadCounters> {
  const m = new Map<string, ThreadCounters>();
  for (const pid of pids) {
    let tids: string[];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; } // the process ended
    for (const tid of tids) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
        const sched = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
        const num = (re: RegExp) => Number(re.exec(st)?.[1] ?? 0);
        m.set(`${pid}/${tid}`, { name: /^Name:\s+(.*)$/m.exec(st)?.[1] ?? "?", switches: num(/^voluntary_ctxt_switches:\s+(\d+)/m) + num(/^nonvoluntary_ctxt_switches:\s+(\d+)/m), runNs: Number(sched.split(" ")[0]) });
      } catch { /* the thread ended */ }
    }
  }
  return m;
}
/**
 * What happened between two samples `seconds` apart: CPU (% of one core),
 * wake-ups per second in all, and by thread name with its CPU time (summed over the threads
 * that lived through the window: a thread that ended in it is counted in
 * `ended`, its share lost), threads that began in it counted whole.
 */
export function idleDelta(a: Map<string, ThreadCounters>, b: Map<string, ThreadCounters>, seconds: number): { cpuPct: number; wakeups: number; byThread: string; ended: number } {
  let ns = 0;
  let sw = 0;
  const byName = new Map<string, { sw: number; ns: number }>();
  for (const [k, t] of b) {
    const s = a.get(k);
    const d = t.switches - (s?.switches ?? 0);
    const run = t.runNs - (s?.runNs ?? 0);
    ns += run;
    sw += d;
    if (d <= 0 && run <= 0) continue;
    const row = byName.get(t.name) ?? { sw: 0, ns: 0 };
    row.sw += d;
    row.ns += run;
    byName.set(t.name, row);
  }
  const ended = [...a.keys()].filter((k) => !b.has(k)).length;
  // By thread name: wake-ups per second, and its CPU time in the window (what each costs, not only how often).
  const byThread = [...byName].sort((x, y) => y[1].sw - x[1].sw).map(([n, r]) => `${n} ${(r.sw / seconds).toFixed(2)}/s ${(r.ns / 1e6).toFixed(1)} ms`).join(", ");
  return { cpuPct: ns / 1e7 / seconds, wakeups: sw / seconds, byThread, ended };
}
