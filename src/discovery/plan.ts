/**
 * What a guardian does next, as a pure function of what it observed. The
 * lock, not the socket, says whether a monitor exists: a socket file can be
 * left by a dead monitor, a flock cannot (src/discovery/lock.ts).
 *
 *   answers                          → ok     (watch it)
 *   nobody holds the lock            → start  (a stale socket is replaced by the new monitor)
 *   held, silent for < hang limit    → wait   (starting up, or briefly busy)
 *   held, silent ≥ hang limit, holder known and alive → kill (then start)
 *   held, silent, holder unknown     → wait   (never kill a process we cannot name)
 */
import type { Holder } from "./lock.ts";

export interface Observation {
  /** The monitor completed hello/welcome and answered a ping. */
  readonly answers: boolean;
  /** Some process holds the monitor lock. */
  readonly locked: boolean;
  /** The lock file's pid + start time, when that process still runs. */
  readonly holder: Holder | null;
  /** How long the lock has been held without an answer (0 when it answers). */
  readonly silentMs: number;
}

export type Step =
  | { readonly do: "ok" }
  | { readonly do: "start" }
  | { readonly do: "wait"; readonly why: string }
  | { readonly do: "kill"; readonly holder: Holder; readonly why: string };

export function plan(o: Observation, hangMs: number): Step {
  if (o.answers) return { do: "ok" };
  if (!o.locked) return { do: "start" };
  if (o.silentMs < hangMs) return { do: "wait", why: `the lock holder has not answered for ${Math.round(o.silentMs)} ms (starting, or busy)` };
  if (!o.holder) return { do: "wait", why: "the lock is held by a process the lock file does not name; not killing blindly" };
  return { do: "kill", holder: o.holder, why: `monitor pid ${o.holder.pid} holds the lock but has not answered for ${Math.round(o.silentMs)} ms` };
}
