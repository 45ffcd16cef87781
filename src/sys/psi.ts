/**
 * Pressure stall information (PSI): /proc/pressure/{cpu,memory,io}'s "some"
 * total, the microseconds in which at least one runnable task waited for that
 * resource. Read with open/read/close through FFI into a buffer made once, the
 * number parsed from the bytes: nothing is allocated per read. -1 without PSI
 * (a kernel built without it, or booted with psi=0).
 *
 * Read by a probe at its start and, when it fails, at its end (how much of
 * its window the machine was starved: probes/runner.ts), and each second by
 * the node verdict (engine/pressure.ts).
 */
import { ptr } from "bun:ffi";
import { uintAt } from "./digits.ts";
import { libc, O_CLOEXEC } from "./libc.ts";

const PATHS = ["cpu", "memory", "io"].map((r) => Uint8Array.from(`/proc/pressure/${r}\0`, (c) => c.charCodeAt(0)));
const TOTAL = Uint8Array.from("total=", (c) => c.charCodeAt(0));
const buf = new Uint8Array(256);

/** Resource `i` (0 cpu, 1 memory, 2 io): its "some" total so far, µs; -1 when it cannot be read. */
export function psiSomeUs(i: 0 | 1 | 2): number {
  const fd = libc.symbols.open(ptr(PATHS[i]!), O_CLOEXEC, 0);
  if (fd < 0) return -1;
  let n = 0;
  try {
    n = Number(libc.symbols.read(fd, ptr(buf), buf.length));
  } finally {
    libc.symbols.close(fd);
  }
  // The first line is "some avg10=… avg60=… avg300=… total=N".
  for (let i = 0; i < n; i++) {
    let k = 0;
    while (k < TOTAL.length && buf[i + k] === TOTAL[k]) k++;
    if (k < TOTAL.length) continue;
    return uintAt(buf, i + k, n);
  }
  return -1;
}

/** The machine's CPU pressure so far (psiSomeUs(0)). */
export function cpuStallUs(): number {
  return psiSomeUs(0);
}
