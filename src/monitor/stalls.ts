/**
 * Busy or hung (the verdict is engine/stall.ts's): a component left a check
 * unanswered. Before that failure goes on, its process is looked at twice,
 * LOOK_MS apart (/proc/PID/stat only: state and CPU time, into buffers made
 * once). Stopped or dead at the first look: failed at once. Working: busy, a
 * degraded component, judged again at each further silent sample until it
 * answers or busy_max_ms runs out. Not working: hung, failed as before, one
 * look later. Nothing is read while every check passes: a healthy monitor
 * pays nothing for this.
 */
import { DEFAULT_BUSY_MAX_MS, hungAtOnce, judgeStall, LOOK_MS, type Look } from "../engine/stall.ts";
import type { LifeEvent } from "../engine/lifecycle.ts";
import { newSample, procSampler, type ProcSampler } from "../sys/proc-sample.ts";
import type { CheckTable } from "./checks.ts";
import type { After, Timer } from "./loop.ts";
import type { Entry } from "./registry.ts";

export interface StallDeps {
  readonly checks: CheckTable;
  readonly after: After;
  now(): number;
  /** A row of the lifecycle table (the life room): `busy`. */
  apply(e: Entry, ev: LifeEvent, now: number): void;
}

/** A component's own busy_max_ms; one that only registered gets the default (a fast path's cores are the watchdog's). */
export function busyMaxOf(e: Entry): number {
  return e.declared ? e.declared.busyMaxMs : e.plane === "fast" ? 0 : DEFAULT_BUSY_MAX_MS;
}

export class Stalls {
  /** The shared sampler, made at the first sample (proc-sample.ts). */
  private get sampler(): ProcSampler {
    return procSampler();
  }
  private readonly s = newSample();
  /** Looks under way, by check slot. */
  private readonly looking = new Map<number, Timer>();
  /** Slots whose idle look after work was had, with the busy episode it belongs to (its start): one per episode. */
  private readonly idled = new Map<number, number>();

  constructor(private readonly d: StallDeps) {}

  /**
   * `e`'s check in `slot` failed silently: true when this room takes it (a
   * look begins, or one is under way); `fail(why)` carries the failure on
   * when it is hung. False: nothing to look at (no pid, busy_max_ms 0, the
   * process unreadable): the caller fails it as before.
   */
  take(e: Entry, slot: number, reason: string, fail: (why: string) => void): boolean {
    const max = busyMaxOf(e);
    if (max <= 0 || e.pid <= 0) return false;
    if (this.looking.has(slot)) return true;
    const pid = e.pid;
    if (!this.sampler.sampleCpu(pid, this.s)) return false;
    const stopped = hungAtOnce(this.s.state);
    if (stopped) {
      fail(`${reason}; ${stopped}`);
      return true;
    }
    const a: Look = { cpuTicks: this.s.cpuTicks, state: this.s.state, atMs: this.d.now() };
    this.looking.set(slot, this.d.after(LOOK_MS, () => {
      this.looking.delete(slot);
      // It answered meanwhile, or the slot or the process is another's now: the look is moot.
      const checks = this.d.checks;
      if (!checks.isFailed(slot) || checks.ownerOf(slot) !== e.index || e.pid !== pid) return;
      // Gone meanwhile: its exit is the evidence (the supervisor, the death watcher, the lost connection say it).
      if (!this.sampler.sampleCpu(pid, this.s)) return;
      const now = this.d.now();
      const idleSeen = e.busySinceMs !== Infinity && this.idled.get(slot) === e.busySinceMs;
      const v = judgeStall(a, { cpuTicks: this.s.cpuTicks, state: this.s.state, atMs: now }, e.busySinceMs, max, now, idleSeen);
      if (!v.busy) {
        this.idled.delete(slot);
        return fail(`${reason}; ${v.reason}`);
      }
      checks.reportEachFailure(slot);
      // The verdict first: status and top show "busy: …" at a glance.
      this.d.apply(e, { type: "busy", reason: `${v.reason}; ${reason}` }, now);
      if (v.idle) this.idled.set(slot, e.busySinceMs); // the episode's start, set by the row just applied
    }));
    return true;
  }

}
