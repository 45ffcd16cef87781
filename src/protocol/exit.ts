/**
 * Exit statuses of the hamon binary. Stable: scripts and HA agents rely on
 * them (README §Exit codes). Client verbs add their own documented codes
 * (status follows LSB, check follows Nagios) on top of these.
 */
import type { ErrorCode } from "../protocol/errors.ts";

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  /** LSB "program is not running": the monitor did not answer. */
  UNAVAILABLE: 7,
  /** EX_TEMPFAIL: another monitor holds the lock for this socket (try again when it is gone). */
  LOCKED: 75,
  /** The daemon could not start (socket taken, bad config). */
  CONFIG: 78,
  /** A bug: hamon printed a stack trace. */
  INTERNAL: 70,
} as const;

/** Maps a wire/library error code to the exit status a command returns for it. */
export function exitFor(code: ErrorCode): number {
  switch (code) {
    case "E_UNAVAILABLE": case "E_TIMEOUT": return EXIT.UNAVAILABLE;
    case "E_INTERNAL": return EXIT.INTERNAL;
    case "E_NAME_TAKEN": case "E_DENIED": return EXIT.CONFIG;
    default: return EXIT.FAILURE;
  }
}
