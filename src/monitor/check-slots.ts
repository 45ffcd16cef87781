/**
 * A component's checks in the check table (checks.ts): which slots it holds,
 * arming them (at registration, or at a plain daemon's start), freeing them,
 * and asking about them. Shared by the life room (life.ts) and the intake
 * (intake.ts), so neither needs the other for it.
 */
import type { CheckRun } from "../config/config.ts";
import type { CheckDef, CheckTable } from "./checks.ts";
import type { Entry } from "./registry.ts";

/** A component that offers no check is still queried: liveness of its event loop. */
export const DEFAULT_CHECK: CheckDef = { name: "health", mode: "query", periodMs: 1_000, timeoutMs: 1_000, rise: 1, fall: 1 };

/** Frees the check slots of `e` (disconnect, deregister, deactivate, its process gone). */
export function dropChecks(checks: CheckTable, e: Entry): void {
  for (const s of e.slots) checks.remove(s);
  e.slots.length = 0;
}

/** A plain daemon (ready = started | probe | pidfile) is watched by the probe and exec checks the monitor runs itself. */
export function armPlainChecks(checks: CheckTable, e: Entry, now: number): void {
  dropChecks(checks, e);
  for (const c of e.declared?.checks ?? []) if (c.run) e.slots.push(checks.add(e.index, c, now));
}

/** A registered component's checks: what it offers, merged with what its config declares. */
export function armOfferedChecks(checks: CheckTable, e: Entry, offered: Parameters<typeof mergeChecks>[0], now: number): void {
  dropChecks(checks, e);
  for (const c of mergeChecks(offered, e.declared?.checks ?? [])) e.slots.push(checks.add(e.index, c, now));
}

/** Whether any of `e`'s checks currently fails. */
export function checksFailing(checks: CheckTable, e: Entry): boolean {
  return e.slots.some((s) => checks.isFailed(s));
}

/** The slot of `e`'s check named `check`, or -1. */
export function slotOf(checks: CheckTable, e: Entry, check: string): number {
  for (const s of e.slots) if (checks.nameOf(s) === check) return s;
  return -1;
}

/**
 * Declared checks override offered ones of the same name (timing, rise/fall); a component with none gets DEFAULT_CHECK.
 * An offered `timeout-ms` of 0 (or absent) means the monitor's default: the check's period (protocol.md §5.1).
 */
export function mergeChecks(offered: readonly { name: string; mode: "query" | "confirm"; periodMs: number; timeoutMs: number }[], declared: readonly CheckDef[]): CheckDef[] {
  const out = new Map<string, CheckDef>();
  for (const c of offered) out.set(c.name, { ...c, timeoutMs: c.timeoutMs > 0 ? c.timeoutMs : c.periodMs, rise: 1, fall: 1 });
  for (const c of declared) out.set(c.name, c);
  return out.size ? [...out.values()] : [DEFAULT_CHECK];
}

/** The probe/exec run of `e`'s check `name`, or null (a plain loop: a query runs once per period, no closure). */
export function runOf(e: Entry, name: string): CheckRun | null {
  const checks = e.declared?.checks;
  if (!checks) return null;
  for (let i = 0; i < checks.length; i++) if (checks[i]!.name === name) return checks[i]!.run;
  return null;
}
