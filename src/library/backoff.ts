/**
 * Capped exponential backoff with jitter, as a pure function so tests can pin
 * the random source. Half the delay is fixed and half random ("equal jitter"):
 * a crowd of components that lost the same monitor does not reconnect in
 * lockstep, yet none waits much less than the nominal delay.
 *
 * @example backoffDelay(3, { initialMs: 50, maxMs: 2000 }, () => 0.5) // 300
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 20, maxMs: 2_000 };

export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const nominal = Math.min(p.maxMs, p.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
