/**
 * `hamon check`: the Nagios plugin contract, pure. One status line
 * `HAMON <STATE> - <summary> | <perfdata>`, exit 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (Nagios plugin guidelines). Deactivated (inactive) and
 * deliberately stopped components never count against the result.
 *
 *   CRITICAL: an active component is down or failed
 *   WARNING:  one is degraded, or still starting (e.g. inside a new
 *             monitor's re-registration window)
 */
import type { ComponentStatus } from "../protocol/messages.ts";
import { printable } from "./table.ts";

export const CHECK_EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
const NAMES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;
/** How many names the summary lists before "…". */
const MAX_NAMED = 5;

export interface CheckOutcome {
  readonly code: number;
  readonly line: string;
}

export function renderCheck(components: readonly ComponentStatus[]): CheckOutcome {
  const counted = components.filter((c) => c.state !== "inactive" && c.state !== "stopped");
  const bad = counted.filter((c) => c.state === "down" || c.health === "failed");
  const warn = counted.filter((c) => !bad.includes(c) && (c.health === "degraded" || c.state === "starting"));
  const up = counted.filter((c) => c.state === "up" && c.health !== "failed").length;
  const code = bad.length ? CHECK_EXIT.CRITICAL : warn.length ? CHECK_EXIT.WARNING : CHECK_EXIT.OK;
  const named = (xs: readonly ComponentStatus[], what: string) =>
    xs.length ? `${xs.length} ${what}: ${xs.slice(0, MAX_NAMED).map((c) => `${c.name} (${c.reason || c.state})`).join(", ")}${xs.length > MAX_NAMED ? ", …" : ""}` : "";
  const summary = [named(bad, "down or failed"), named(warn, "degraded or starting")].filter(Boolean).join("; ") || `${up} components up`;
  const perf = [
    `up=${up}`, `down=${bad.length}`, `warning=${warn.length}`,
    `inactive=${components.length - counted.length}`,
    `restarts=${components.reduce((n, c) => n + c.restarts, 0)}c`,
  ].join(" ");
  return { code, line: `HAMON ${NAMES[code]} - ${oneLine(summary)} | ${perf}\n` };
}

export function renderCheckUnknown(why: string): CheckOutcome {
  return { code: CHECK_EXIT.UNKNOWN, line: `HAMON UNKNOWN - ${oneLine(why)}\n` };
}

/** Nagios reads the first line only, and `|` starts the perfdata; what peers wrote goes through the escaping renderer. */
function oneLine(s: string): string {
  return printable(s.replace(/[\r\n|]+/g, " "));
}
