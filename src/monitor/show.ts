/**
 * `show NAME`, the monitor's side: what the engine remembers of a component
 * (counters, and what it would decide on a failure now) and its checks with
 * their most recent samples; and what every result says of the monitor.
 * Read-only; allocates (an operator asked).
 */
import { decide } from "../engine/decide.ts";
import { SAMPLES_SHOWN } from "../protocol/codec.ts";
import type { CheckStatus, ComponentCounters, MonitorInfo } from "../protocol/messages.ts";
import { VERSION } from "../version.ts";
import type { PersistenceHealth } from "./persistence.ts";
import type { Supervisor } from "../process/supervisor.ts";
import { processAgeMs } from "../sys/proc.ts";
import type { DetailContext } from "./context.ts";
import { runOf } from "./check-slots.ts";
import type { Entry } from "./registry.ts";

/** Sample reasons are cut to this many characters (a show must fit in a frame). */
const SAMPLE_REASON_CHARS = 120;

export function componentDetail(c: DetailContext, name: string, now: number): { counters: ComponentCounters; checks: CheckStatus[] } | null {
  const e = c.registry.get(name);
  if (!e) return null;
  const st = c.engine.components.get(name);
  const checks = e.slots.map((s): CheckStatus => ({
    name: c.checks.nameOf(s), mode: modeOf(e, c.checks.nameOf(s)) ?? c.checks.modeOf(s), periodMs: c.checks.periodOf(s), failed: c.checks.isFailed(s),
    samples: c.checks.samples(s).slice(-SAMPLES_SHOWN).map((x) => ({
      agoMs: Math.max(0, Math.round(now - x.atMs)), ok: x.ok,
      reason: x.reason.length > SAMPLE_REASON_CHARS ? `${x.reason.slice(0, SAMPLE_REASON_CHARS)}…` : x.reason,
    })),
  }));
  return {
    checks,
    counters: {
      registrations: e.registrations, restarts: e.restarts, collateral: e.collateral, failures: st?.failures.length ?? 0, recoveries: st?.recoveries.length ?? 0,
      graceMs: Math.max(0, Math.round((st?.graceUntil ?? 0) - now)), quarantined: c.registry.quarantinedOf(e.name),
      next: e.active ? nextOnFailure(c, name, now) : "none (inactive)",
      ...(e.declared && (e.declared.ready !== "registered" || (e.declared.pidfile && !e.declared.start)) ? { registers: false } : {}),
    },
  };
}

/** A check the monitor runs itself says what it is (probe or exec), not how it is scheduled (as a query). */
function modeOf(e: Entry, check: string): "probe" | "exec" | null {
  const run = runOf(e, check);
  return run === null ? null : "probe" in run ? "probe" : "exec";
}

/** What the engine would decide on a failure of `name` now: the pure engine asked "what if", its new state discarded. */
function nextOnFailure(c: DetailContext, name: string, now: number): string {
  const r = decide(c.engine, { type: "failure", component: name, reason: "what if", certain: true }, now, c.policyOf);
  const recover = r.actions.find((a) => a.type === "recover");
  if (recover) return recover.level;
  if (r.actions.some((a) => a.type === "quarantine")) return "quarantine";
  return r.actions.some((a) => a.type === "ignore") ? "ignore (grace)" : "none";
}

/**
 * AGE, for a daemon that never registers (a plain one, an attached one):
 * how long its process has run, not how long ago it was adopted or last
 * heard (a library component's AGE stays the time since it last spoke).
 */
export function processAgeOf(sup: Supervisor): (e: Entry) => number | null {
  return (e) => {
    const d = e.declared;
    if (!d || (d.ready === "registered" && !(d.pidfile && !d.start)) || !sup.alive(e.name)) return null;
    const st = sup.startTimeOf(e.name);
    return st > 0 ? processAgeMs(st) : null;
  };
}

/** What every result says of the monitor itself: its pid, version, uptime, the node verdict once judged, and what it failed to persist. */
export function monitorInfo(now: number, startedAt: number, node: MonitorInfo["node"] | null, p: PersistenceHealth | null, stateDir?: string): MonitorInfo {
  const persistence = p ? { eventsLost: p.eventsLost, journalFailures: p.journalFailures, failing: p.failingTargets } : null;
  return { pid: process.pid, version: VERSION, uptimeMs: Math.round(now - startedAt), ...(node ? { node } : {}), ...(persistence ? { persistence } : {}), ...(stateDir ? { stateDir } : {}) };
}
