/**
 * How late the monitor's timer fires, as a cumulative histogram (Prometheus
 * `_bucket`/`_sum`/`_count`). Observed on every wake-up: fixed arrays, no
 * allocation. Lateness is the monitor's own health: a starved monitor judges
 * on stale evidence (the starvation guard in core.ts acts past 250 ms).
 */
/** Upper bounds, seconds. */
export const LATENESS_BUCKETS_S: readonly number[] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class LatenessHistogram {
  /** counts[i]: observations ≤ LATENESS_BUCKETS_S[i] (cumulative when read); last = +Inf. */
  readonly counts = new Float64Array(LATENESS_BUCKETS_S.length + 1);
  sumS = 0;
  count = 0;
  /** The last observation, seconds. */
  lastS = 0;

  observe(lateMs: number): void {
    const s = lateMs > 0 ? lateMs / 1_000 : 0;
    let i = 0;
    while (i < LATENESS_BUCKETS_S.length && s > LATENESS_BUCKETS_S[i]!) i++;
    this.counts[i]!++;
    this.sumS += s;
    this.count++;
    this.lastS = s;
  }
}
