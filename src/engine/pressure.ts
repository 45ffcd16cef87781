/**
 * Pressure on the node: how much of the time runnable tasks waited for a CPU,
 * for memory or for I/O (PSI's "some" line, /proc/pressure/{cpu,memory,io}),
 * judged over each sampling interval. Above its limit for `forMs` running, a
 * resource is under pressure: the node turns yellow (the node verdict,
 * engine/node.ts) before anything fails. Pure: the previous state, the
 * counters read now, the time in; the next state out.
 *
 * @example
 *   let s = NO_PRESSURE;
 *   s = nextPressure(s, [cpuUs, memUs, ioUs], now, limits); s.reason; // "cpu pressure ≥ 80 % for 60 s" or null
 */

export const RESOURCES = ["cpu", "memory", "io"] as const;
export type Resource = (typeof RESOURCES)[number];

export interface PressureLimits {
  /** Per resource (RESOURCES' order): the share of time, in %, at or above which it is high; 0: not watched. */
  readonly pct: readonly [number, number, number];
  /** High for this long running: pressure. */
  readonly forMs: number;
}

export const DEFAULT_PRESSURE: PressureLimits = { pct: [80, 20, 80], forMs: 60_000 };

export interface PressureState {
  /** When the counters were last read (-1: never). */
  readonly atMs: number;
  /** PSI "some" totals then, µs (-1: unreadable). */
  readonly totals: readonly number[];
  /** Share of the last interval, % (NaN before two reads, or unreadable). */
  readonly shares: readonly number[];
  /** High since then; Infinity when not high. */
  readonly highSince: readonly number[];
  /** Under pressure now, per resource. */
  readonly under: readonly boolean[];
  /** Why the node is under pressure, or null. */
  readonly reason: string | null;
}

export const NO_PRESSURE: PressureState = { atMs: -1, totals: [-1, -1, -1], shares: [NaN, NaN, NaN], highSince: [Infinity, Infinity, Infinity], under: [false, false, false], reason: null };

export function nextPressure(s: PressureState, totals: readonly number[], now: number, l: PressureLimits): PressureState {
  const dt = s.atMs < 0 ? 0 : now - s.atMs;
  const shares: number[] = [];
  const highSince: number[] = [];
  const under: boolean[] = [];
  const causes: string[] = [];
  for (let i = 0; i < RESOURCES.length; i++) {
    const t0 = s.totals[i]!;
    const t1 = totals[i]!;
    // A counter that went backwards or could not be read gives no share (not a low one).
    const share = dt > 0 && t0 >= 0 && t1 >= t0 ? Math.min(100, ((t1 - t0) / 1000 / dt) * 100) : NaN;
    shares.push(share);
    const limit = l.pct[i]!;
    const high = limit > 0 && share >= limit;
    const since = high ? Math.min(s.highSince[i]!, s.atMs) : Infinity;
    highSince.push(since);
    under.push(high && now - since >= l.forMs);
    if (under[i]) causes.push(`${RESOURCES[i]} pressure ≥ ${limit} % for ${seconds(l.forMs)}`);
  }
  return { atMs: now, totals, shares, highSince, under, reason: causes.length ? causes.join(", ") : null };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
