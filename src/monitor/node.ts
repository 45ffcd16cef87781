/**
 * Keeps the node verdict (src/engine/node.ts) current: after every event
 * (pending recoveries follow the event stream) and on the monitor's timer
 * (the starvation window expires without an event). A change is itself an
 * event (`node-green`, `node-yellow`, `node-red`) and is handed to the
 * adapters.
 *
 * Nothing is said before `arm()`: a monitor that just (re)started has not
 * seen its components re-register or its fast paths' regions yet, and must
 * not tell keepalived "fault" for what it has not looked at. The core arms
 * it once discovery is over and every fast path was polled.
 */
import { nodeVerdict, sameVerdict, trackPending, type NodeVerdict, type NodeWeights } from "../engine/node.ts";
import { nextPressure, NO_PRESSURE, type PressureLimits, type PressureState } from "../engine/pressure.ts";
import { psiSomeUs } from "../sys/psi.ts";
import type { Level } from "../protocol/messages.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { Registry } from "./registry.ts";

export interface NodeJudgeDeps {
  registry: Registry;
  weights: NodeWeights;
  /** Until when the engine's starvation window is open (monitor evidence is stale until then). */
  starvedUntil: () => number;
  emit: (ev: MonitorEvent) => void;
  changed: (v: NodeVerdict) => void;
  now(): number;
  pressure: PressureLimits;
}

/**
 * PSI is read this often: a sixth of `pressure_for_ms`, within 1..10 s (the
 * totals are cumulative, so a longer interval loses nothing: its share is the
 * mean over the interval; 60 s held is judged from 6 samples). An idle
 * monitor wakes no more often for it.
 */
export const pressureEveryMs = (forMs: number): number => Math.min(10_000, Math.max(1_000, Math.round(forMs / 6)));

export class NodeJudge {
  private pending: ReadonlyMap<string, Level> = new Map();
  /** Null until armed and judged once. */
  private current: NodeVerdict | null = null;
  private armed = false;
  private readonly rowOf = (name: string) => this.d.registry.get(name);
  private psi: PressureState = NO_PRESSURE;
  private readonly totals = [0, 0, 0];

  private readonly everyMs: number;
  private readonly sampled: boolean;

  constructor(private readonly d: NodeJudgeDeps) {
    this.everyMs = pressureEveryMs(d.pressure.forMs);
    this.sampled = d.pressure.pct.some((p) => p > 0);
  }

  /**
   * When the verdict may change with no event: the next PSI sample, the end
   * of a starvation window (the loop's deadline). The core judges once this
   * has come, not only every JUDGE_EVERY_MS: a deadline left in the past
   * would turn the loop every millisecond until the next judgement.
   */
  nextDueMs(now: number): number {
    if (!this.armed) return Infinity;
    const starvedEnd = this.d.starvedUntil();
    return Math.min(this.sampled ? this.psi.atMs + this.everyMs : Infinity, starvedEnd > now ? starvedEnd : Infinity);
  }

  /** The verdict once armed; null before (status then shows none). */
  get verdict(): NodeVerdict | null {
    return this.current;
  }

  /** The node's pressure: each resource's share of the last interval (%, NaN unknown), and why it is under pressure (or null). */
  get pressure(): PressureState {
    return this.psi;
  }

  /** Every monitor event passes here (its own `node-*` events included: they change nothing). */
  observe(ev: MonitorEvent): void {
    this.pending = trackPending(this.pending, ev, this.rowOf);
    this.evaluate();
  }

  arm(): void {
    this.armed = true;
    this.evaluate();
  }

  /** Recomputes; announces a change (and the first verdict, so adapters start from a known value). */
  evaluate(): void {
    if (!this.armed) return;
    const now = this.d.now();
    if (this.sampled && now - this.psi.atMs >= this.everyMs) {
      for (let i = 0; i < 3; i++) this.totals[i] = this.d.pressure.pct[i]! > 0 ? psiSomeUs(i as 0 | 1 | 2) : -1;
      this.psi = nextPressure(this.psi, [...this.totals], now, this.d.pressure);
    }
    const v = nodeVerdict(this.d.registry.list, this.pending, now < this.d.starvedUntil(), this.d.weights, this.psi.reason);
    const was = this.current;
    if (was && sameVerdict(v, was)) return;
    this.current = v; // before the event: the event comes back through observe() and must find nothing new
    // The first verdict is announced unless it is green (nothing to say yet); every change is.
    if (was || v.health !== "green") {
      this.d.emit({ component: "", event: `node-${v.health}`, level: "", reason: `penalty ${v.penalty}${v.reason ? `: ${v.reason}` : ""}${was && was.health !== v.health ? ` (was ${was.health})` : ""}` });
    }
    this.d.changed(v);
  }
}
