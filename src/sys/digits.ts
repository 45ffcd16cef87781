/**
 * Decimal numbers read straight from the bytes of a /proc file (stat, statm,
 * limits, children lists, PSI): no string is made on the polling paths. One
 * helper for every reader.
 *
 * @example
 *   uintAt(bytes, 4, n)   // the digits from index 4 as a number, -1 when there are none
 */

export const ZERO = 48;

export function isDigit(b: number): boolean {
  return b >= ZERO && b <= ZERO + 9;
}

/** The unsigned decimal that starts at `from` (read up to `end` or the first non-digit); -1 when `from` holds no digit. */
export function uintAt(buf: Uint8Array, from: number, end: number): number {
  if (from >= end || !isDigit(buf[from]!)) return -1;
  let v = 0;
  for (let i = from; i < end && isDigit(buf[i]!); i++) v = v * 10 + (buf[i]! - ZERO);
  return v;
}
