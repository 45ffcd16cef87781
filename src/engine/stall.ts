/**
 * Busy or hung: what a silent check means. When a component leaves a check
 * unanswered (a query's timeout, a probe with no answer, a missed confirm),
 * the monitor looks at its process twice, a moment apart, before it acts.
 * Pure: two looks in, a verdict out.
 *
 * - CPU time advancing (at least BUSY_MIN_SHARE of one CPU between the two
 *   looks, all its threads) → **busy**: it works and will answer when it is
 *   done (zebra installing a full table: FRR #21444, where watchfrr's 90 s
 *   timeout restarted every daemon). Degraded, never killed, until
 *   `busy_max_ms` since the episode began.
 * - Runnable (R) at both looks with little CPU → busy: it waits for a CPU
 *   (a loaded machine), which is not a hang.
 * - Uninterruptible sleep (D) with no CPU → busy too (waiting on a disk or
 *   the kernel), but only for BLOCKED_MAX_MS.
 * - Stopped or traced (T, t), dead (Z, X), or asleep with no CPU progress →
 *   **hung**: cured as any failed check is, at once.
 * - Except asleep with no CPU progress right after work (a busy episode under
 *   way, or runnable at the first look): the silent check may have been sent
 *   while it worked, and its work may have ended inside the look. That first
 *   idle look keeps it busy ("its work ended"); hung needs a second one, at
 *   its next silent check: a hang after work is seen one check later. (A
 *   zebra done with a 200,000-route `show` spends its first second draining
 *   the probes that queued meanwhile; judged hung there, it was restarted.)
 *
 * @example
 *   judgeStall({ cpuTicks: 10, state: R, atMs: 0 }, { cpuTicks: 30, state: R, atMs: 200 }, Infinity, 300_000, 200)
 *   // → { busy: true, reason: "busy: 100 % of a CPU in 200 ms, …" }
 */

/** One look at a process: its CPU time so far (USER_HZ ticks), its main thread's state byte, when. */
export interface Look {
  cpuTicks: number;
  state: number;
  atMs: number;
}

export interface StallVerdict {
  readonly busy: boolean;
  readonly reason: string;
  /** Busy on an idle look after work (the first of its episode): the next idle look is hung. */
  readonly idle?: boolean;
}

/** At least this share of one CPU between the two looks is work, not a hang (a hung daemon's stray timer thread uses far less). */
export const BUSY_MIN_SHARE = 0.1;
/** Uninterruptible sleep with no CPU is given this long (a slow disk), never more than busy_max_ms. */
export const BLOCKED_MAX_MS = 10_000;
/** The default busy_max_ms: see docs (FRR #21444: a zebra busy 90 s with 3 M routes; 300 s leaves it three times that). */
export const DEFAULT_BUSY_MAX_MS = 300_000;
/** The two looks are this far apart (USER_HZ is 100: 20 ticks of a busy CPU). */
export const LOOK_MS = 200;
/** The tick of utime and stime in /proc/PID/stat, in ms (USER_HZ 100). */
const TICK_MS = 10;

const D = 68;
const R = 82;
const T = 84;
const t = 116;
const X = 88;
const Z = 90;

/** Whether the first look already says hung (no second look is needed): stopped, traced or dead. */
export function hungAtOnce(state: number): string | null {
  if (state === T || state === t) return `hung: stopped (state ${String.fromCharCode(state)})`;
  if (state === Z || state === X) return "hung: its process is dead (a zombie)";
  return null;
}

/**
 * The verdict on two looks `a` then `b` of one process. `busySinceMs`: when
 * its current busy episode began (Infinity: none yet, it begins at `a`).
 * `idleSeen`: this episode already had its one idle look after work.
 */
export function judgeStall(a: Look, b: Look, busySinceMs: number, busyMaxMs: number, now: number, idleSeen = false): StallVerdict {
  const at = hungAtOnce(b.state);
  if (at) return { busy: false, reason: at };
  const windowMs = Math.max(1, b.atMs - a.atMs);
  const cpuMs = Math.max(0, b.cpuTicks - a.cpuTicks) * TICK_MS;
  const share = cpuMs / windowMs;
  const since = busySinceMs === Infinity ? a.atMs : busySinceMs;
  const forMs = Math.max(0, now - since);
  const blocked = b.state === D && a.state === D;
  let what: string;
  if (share >= BUSY_MIN_SHARE) what = `${Math.round(share * 100)} % of a CPU in ${Math.round(windowMs)} ms`;
  else if (a.state === R && b.state === R) what = `runnable, waiting for a CPU (${Math.round(share * 100)} % of one in ${Math.round(windowMs)} ms)`;
  else if (blocked && forMs < Math.min(BLOCKED_MAX_MS, busyMaxMs)) what = `blocked in the kernel (state D) for ${seconds(forMs)}`;
  else {
    const hung = `no CPU progress in ${Math.round(windowMs)} ms (state ${String.fromCharCode(b.state || 63)})`;
    const afterWork = !blocked && (busySinceMs !== Infinity || a.state === R);
    if (!afterWork || idleSeen || forMs >= busyMaxMs) return { busy: false, reason: `hung: ${hung}${idleSeen ? ", again after its work ended" : ""}` };
    return { busy: true, idle: true, reason: `busy: its work ended (${hung}); not answering for ${seconds(forMs)}, hung if still silent and idle at its next check` };
  }
  if (forMs >= busyMaxMs) return { busy: false, reason: `hung: busy for ${seconds(forMs)}, past busy_max_ms ${seconds(busyMaxMs)} (${what})` };
  return { busy: true, reason: `busy: ${what}; not answering for ${seconds(forMs)}, restarted after busy_max_ms ${seconds(busyMaxMs)}` };
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
