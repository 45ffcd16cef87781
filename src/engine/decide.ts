/**
 * The decision engine: `decide(state, event, now, policy) → { state, actions }`.
 * Pure: no clock, timer, socket or console; `now` is monotonic milliseconds
 * supplied by the caller; actions are data that the effects module executes.
 * Every (event type) is handled, and the compiler checks it (`never`).
 *
 * Per component it keeps a bounded history of failure and recovery times
 * (sliding windows), a grace deadline after each recovery, the time since it
 * was last healthy, its streak of failures (the restart backoff), whether it
 * is flapping, and whether it is quarantined (only when its policy opts in).
 */
import { LEVELS, type Level } from "../protocol/messages.ts";
import { backoffDelay, maxLevel, minLevel, severity, type ComponentPolicy } from "./policy.ts";

/** Failure/recovery times remembered per component (enough for any sane window). */
export const HISTORY_LIMIT = 64;

export interface ComponentState {
  readonly failures: readonly number[];
  readonly recoveries: readonly number[];
  readonly graceUntil: number;
  readonly healthySince: number | null;
  readonly quarantined: boolean;
  /** Failures since it was last healthy for the policy's backoff reset: the restart waits longer with each. */
  readonly streak: number;
  /** Its recoveries reached the flap threshold (said once per episode). */
  readonly flapping: boolean;
}

export interface EngineState {
  /** By component name. A Map, never a plain object: names are peer text ("toString" is a valid name). */
  readonly components: ReadonlyMap<string, ComponentState>;
  /** Until when failures built on missed deadlines are re-checked instead of acted on. */
  readonly starvedUntil: number;
}

export const INITIAL_STATE: EngineState = { components: new Map(), starvedUntil: 0 };
export const FRESH: ComponentState = { failures: [], recoveries: [], graceUntil: 0, healthySince: null, quarantined: false, streak: 0, flapping: false };

/**
 * What the monitor observed. `certain` failures (a process died, a core's
 * writer vanished) are acted on even when the monitor was starved; the others
 * (a missed deadline, a stale beat) may be the monitor's own lateness. A
 * `start` failure (it exited before it was ready, or could not be started)
 * restarts only itself unless its policy opts into the ladder: restarting
 * its neighbours cannot cure a daemon that cannot start.
 */
export type EngineEvent =
  | { type: "failure"; component: string; reason: string; certain: boolean; recommended?: Level; start?: boolean }
  /** It was restarted because of another component (`binds_to`, a plane restart): a grace period, never a failure of its own. */
  | { type: "collateral"; component: string }
  | { type: "healthy"; component: string }
  | { type: "starved"; lateMs: number; recheckMs: number }
  | { type: "operator-reset"; component: string }
  | { type: "removed"; component: string };

export type Action =
  /** `delayMs`: how long the failing component's own restart waits (the backoff; 0 for the first of a streak). */
  | { type: "recover"; component: string; level: Level; reason: string; failuresInWindow: number; delayMs: number }
  /** Its recoveries reached the flap threshold: an event and a weaker node, restarts go on. */
  | { type: "flapping"; component: string; reason: string }
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
    case "collateral": {
      const c = s.components.get(e.component) ?? FRESH;
      if (c.quarantined) return { state: s, actions: [] };
      return { state: put(s, e.component, { ...c, graceUntil: Math.max(c.graceUntil, now + policyOf(e.component).graceMs) }), actions: [] };
    }
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
  // Grace covers a component coming back up; a start failure is not that: it is retried with the backoff instead.
  if (now < c.graceUntil && e.start !== true) {
    return { state: s, actions: [{ type: "ignore", component: e.component, reason: `within the grace period after a recovery (${Math.round(c.graceUntil - now)} ms left)` }] };
  }
  // A failure after sustained health starts a new streak: its restart is at once again.
  const streak = (c.healthySince !== null && now - c.healthySince >= p.backoff.resetMs ? 0 : c.streak) + 1;
  const failures = bounded([...c.failures, now]);
  const local = e.start === true && !p.escalateStartFailures;
  let level = local ? minLevel(p.baseLevel, "restart-daemon") : p.baseLevel;
  let why = local ? `${e.reason} (a start failure: it alone is restarted)` : e.reason;
  for (const rule of local ? [] : [...p.ladder].sort((a, b) => severity(b.then) - severity(a.then))) {
    if (countSince(failures, now - rule.withinMs) >= rule.failures) {
      level = maxLevel(level, rule.then);
      why = `${e.reason} (${rule.failures} failures within ${rule.withinMs} ms)`;
      break;
    }
  }
  if (e.recommended && !local) {
    const allowed = minLevel(e.recommended, p.maxRecommend);
    if (severity(allowed) > severity(level)) {
      level = allowed;
      why = `${e.reason} (component recommended ${e.recommended}${allowed !== e.recommended ? `, capped to ${allowed}` : ""})`;
    }
  }
  const actions: Action[] = [];
  const recentRecoveries = countSince(c.recoveries, now - p.flap.withinMs);
  const flapping = recentRecoveries >= p.flap.restarts;
  if (flapping) {
    const flap = `${recentRecoveries} recoveries within ${p.flap.withinMs} ms`;
    if (p.quarantine) {
      const next = { ...c, failures, streak, quarantined: true, healthySince: null };
      return { state: put(s, e.component, next), actions: [{ type: "quarantine", component: e.component, reason: `${flap}: flapping, restarts stopped (quarantine = true), operator needed (last: ${e.reason})` }] };
    }
    if (p.escalateOnFlap && !local) {
      const bumped = bump(level);
      why = `${why}; flapping (${flap}): escalated from ${level}`;
      level = bumped;
    } else if (!c.flapping) {
      actions.push({ type: "flapping", component: e.component, reason: `${flap}: restarts go on with a growing delay (last: ${e.reason})` });
    }
  }
  const delayMs = backoffDelay(streak, p.backoff);
  const next: ComponentState = { failures, recoveries: bounded([...c.recoveries, now]), graceUntil: now + delayMs + p.graceMs, healthySince: null, quarantined: false, streak, flapping };
  if (severity(level) > 0) actions.push({ type: "flight-record", component: e.component, level, reason: why });
  actions.push({ type: "recover", component: e.component, level, reason: why, failuresInWindow: failures.length, delayMs });
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
