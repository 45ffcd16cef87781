/**
 * The decision engine: `decide(state, event, now, policy) → { state, actions }`.
 * Pure: no clock, timer, socket or console; `now` is monotonic milliseconds
 * supplied by the caller; actions are data that the effects module executes.
 * Every (event type) is handled, and the compiler checks it (`never`).
 *
 * Per component it keeps a bounded history of failure and recovery times
 * (sliding windows), a grace deadline after each recovery, the time since it
 * was last healthy, and whether it is quarantined.
 */
import { LEVELS, type Level } from "../protocol/messages.ts";
import { maxLevel, minLevel, severity, type ComponentPolicy } from "./policy.ts";

/** Failure/recovery times remembered per component (enough for any sane window). */
export const HISTORY_LIMIT = 64;

export interface ComponentState {
  readonly failures: readonly number[];
  readonly recoveries: readonly number[];
  readonly graceUntil: number;
  readonly healthySince: number | null;
  readonly quarantined: boolean;
}

export interface EngineState {
  /** By component name. A Map, never a plain object: names are peer text ("toString" is a valid name). */
  readonly components: ReadonlyMap<string, ComponentState>;
  /** Until when failures built on missed deadlines are re-checked instead of acted on. */
  readonly starvedUntil: number;
}

export const INITIAL_STATE: EngineState = { components: new Map(), starvedUntil: 0 };
const FRESH: ComponentState = { failures: [], recoveries: [], graceUntil: 0, healthySince: null, quarantined: false };

/**
 * What the monitor observed. `certain` failures (a process died, a core's
 * writer vanished) are acted on even when the monitor was starved; the others
 * (a missed deadline, a stale beat) may be the monitor's own lateness.
 */
export type EngineEvent =
  | { type: "failure"; component: string; reason: string; certain: boolean; recommended?: Level }
  | { type: "healthy"; component: string }
  | { type: "starved"; lateMs: number; recheckMs: number }
  | { type: "operator-reset"; component: string }
  | { type: "removed"; component: string };

export type Action =
  | { type: "recover"; component: string; level: Level; reason: string; failuresInWindow: number }
  | { type: "flight-record"; component: string; level: Level; reason: string }
  | { type: "quarantine"; component: string; reason: string }
  | { type: "ignore"; component: string; reason: string }
  | { type: "recheck"; component: string; reason: string }
  | { type: "degraded-monitor"; reason: string };

export interface Decision {
  state: EngineState;
  actions: Action[];
}

export function decide(s: EngineState, e: EngineEvent, now: number, policyOf: (component: string) => ComponentPolicy): Decision {
  switch (e.type) {
    case "failure": return failure(s, e, now, policyOf(e.component));
    case "healthy": return healthy(s, e.component, now, policyOf(e.component));
    case "starved":
      return {
        state: { ...s, starvedUntil: Math.max(s.starvedUntil, now + e.recheckMs) },
        actions: [{ type: "degraded-monitor", reason: `monitor loop ran ${Math.round(e.lateMs)} ms late: re-checking before acting on timeouts` }],
      };
    case "operator-reset": return { state: put(s, e.component, FRESH), actions: [] };
    case "removed": {
      if (!s.components.has(e.component)) return { state: s, actions: [] };
      const rest = new Map(s.components);
      rest.delete(e.component);
      return { state: { ...s, components: rest }, actions: [] };
    }
    default: {
      const never: never = e;
      throw new Error(`unhandled engine event ${JSON.stringify(never)}`);
    }
  }
}

function failure(s: EngineState, e: Extract<EngineEvent, { type: "failure" }>, now: number, p: ComponentPolicy): Decision {
  const c = s.components.get(e.component) ?? FRESH;
  if (c.quarantined) return { state: s, actions: [{ type: "ignore", component: e.component, reason: "quarantined: an operator must reset it" }] };
  if (!e.certain && now < s.starvedUntil) {
    return { state: s, actions: [{ type: "recheck", component: e.component, reason: `not acting on '${e.reason}': the monitor itself was starved` }] };
  }
  if (now < c.graceUntil) {
    return { state: s, actions: [{ type: "ignore", component: e.component, reason: `within the grace period after a recovery (${Math.round(c.graceUntil - now)} ms left)` }] };
  }
  const failures = bounded([...c.failures, now]);
  let level = p.baseLevel;
  let why = e.reason;
  for (const rule of [...p.ladder].sort((a, b) => severity(b.then) - severity(a.then))) {
    if (countSince(failures, now - rule.withinMs) >= rule.failures) {
      level = maxLevel(level, rule.then);
      why = `${e.reason} (${rule.failures} failures within ${rule.withinMs} ms)`;
      break;
    }
  }
  if (e.recommended) {
    const allowed = minLevel(e.recommended, p.maxRecommend);
    if (severity(allowed) > severity(level)) {
      level = allowed;
      why = `${e.reason} (component recommended ${e.recommended}${allowed !== e.recommended ? `, capped to ${allowed}` : ""})`;
    }
  }
  const recentRecoveries = countSince(c.recoveries, now - p.flap.withinMs);
  if (recentRecoveries >= p.flap.restarts) {
    if (!p.escalateOnFlap) {
      const next = { ...c, failures, quarantined: true, healthySince: null };
      return {
        state: put(s, e.component, next),
        actions: [{ type: "quarantine", component: e.component, reason: `${recentRecoveries} recoveries within ${p.flap.withinMs} ms: flapping, restarts stopped, operator needed (last: ${e.reason})` }],
      };
    }
    const bumped = bump(level);
    why = `${why}; flapping (${recentRecoveries} recoveries within ${p.flap.withinMs} ms): escalated from ${level}`;
    level = bumped;
  }
  const next: ComponentState = { failures, recoveries: bounded([...c.recoveries, now]), graceUntil: now + p.graceMs, healthySince: null, quarantined: false };
  const actions: Action[] = [];
  if (severity(level) > 0) actions.push({ type: "flight-record", component: e.component, level, reason: why });
  actions.push({ type: "recover", component: e.component, level, reason: why, failuresInWindow: failures.length });
  return { state: put(s, e.component, next), actions };
}

function healthy(s: EngineState, name: string, now: number, p: ComponentPolicy): Decision {
  const c = s.components.get(name);
  if (!c) return { state: s, actions: [] };
  if (c.healthySince === null) return { state: put(s, name, { ...c, healthySince: now }), actions: [] };
  if (now - c.healthySince >= p.healthyResetMs && (c.failures.length > 0 || c.recoveries.length > 0)) {
    // Sustained health: forget the history, so an old burst does not escalate a new, lone failure.
    return { state: put(s, name, { ...c, failures: [], recoveries: [], healthySince: now }), actions: [] };
  }
  return { state: s, actions: [] };
}

function bump(l: Level): Level {
  return LEVELS[Math.min(LEVELS.length - 1, severity(l) + 1)]!;
}

function countSince(times: readonly number[], since: number): number {
  let n = 0;
  for (const t of times) if (t > since) n++;
  return n;
}

function bounded(times: number[]): number[] {
  return times.length > HISTORY_LIMIT ? times.slice(times.length - HISTORY_LIMIT) : times;
}

function put(s: EngineState, name: string, c: ComponentState): EngineState {
  return { ...s, components: new Map(s.components).set(name, c) };
}
