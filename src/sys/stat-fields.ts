/**
 * The fields of /proc/PID/stat, from its bytes: one parser for every reader
 * (process identity in proc.ts, the sampler's CPU and threads in
 * proc-sample.ts). The command (field 2) may hold spaces and ')', so the
 * fields are counted after the last ')'. Nothing is allocated: the caller
 * owns `out` and keeps it.
 *
 * @example
 *   const f = new Float64Array(STAT_FIELDS + 1);
 *   if (parseStat(bytes, n, f)) use(f[3], f[14] + f[15], f[22]);  // state (char code), CPU ticks, start time
 */
import { uintAt } from "./digits.ts";

/** The last field parsed (22: start time); `out` is indexed by field number, 1-based. */
export const STAT_FIELDS = 22;
const SPACE = 32;
const CLOSE = 41; // ')'
const MINUS = 45;
export const STATE_ZOMBIE = 90; // 'Z'
export const STATE_DEAD = 88; // 'X'

/** Fills `out[3..22]` (3: the state's character code); false when the bytes are cut short. */
export function parseStat(bytes: Uint8Array, n: number, out: Float64Array): boolean {
  const close = bytes.lastIndexOf(CLOSE, n - 1);
  if (close < 0 || close + 2 >= n) return false;
  out.fill(NaN);
  out[3] = bytes[close + 2]!;
  let field = 3;
  for (let i = close + 3; i < n && field < STAT_FIELDS; i++) {
    if (bytes[i] !== SPACE) continue;
    field++;
    const v = uintAt(bytes, i + 1, n);
    out[field] = v >= 0 ? v : bytes[i + 1] === MINUS ? -1 : NaN; // a negative field (tpgid, priority) reads -1: none of those used is ever negative
  }
  return field >= STAT_FIELDS;
}

/** A zombie or a dead task: its stat is readable, but it is no longer running. */
export function gone(state: number): boolean {
  return state === STATE_ZOMBIE || state === STATE_DEAD;
}
