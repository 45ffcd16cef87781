/**
 * A component's lifecycle as one pure table, as s6-supervise keeps its
 * service: `lifecycle(life, event, now) → { life, actions }`. The monitor
 * never writes a component's state, health, reason or deadlines itself: it
 * applies an event here and carries out the actions (a failure for the
 * engine, health for the engine). What `decide()` (decide.ts) is to recovery,
 * this is to one component's standing.
 *
 * It also holds what a daemon's life counts (its pid, its restarts, its
 * registrations, when hamon started it, whether hamon is stopping it): those
 * change here too, so spawn, adopt, ready, restart and stop are rows like
 * the rest, and "ready" is said from one place (the `ready` action).
 *
 * States: starting (expected by a deadline), up, down (expected but absent),
 * inactive (a dynamic component not activated: absence is normal), stopped
 * (deregistered on purpose). Health is the worse of what the component last
 * reported and what its checks say (protocol.md §5.1).
 *
 * @example
 *   const r = lifecycle(e, { type: "ready-due" }, now); // starting past its deadline → down/failed + a failure
 */
import type { Health } from "../protocol/messages.ts";

export type LifeState = "starting" | "up" | "down" | "inactive" | "stopped";

export interface Life {
  readonly state: LifeState;
  readonly health: Health;
  readonly reason: string;
  /** Must register by then (starting); Infinity = no deadline. */
  readonly readyByMs: number;
  /** How long it was given (for the message when it does not). */
  readonly readyWaitMs: number;
  /** A failure ignored during grace is raised again then if it is still down. */
  readonly refailAtMs: number;
  /** What the component last said of itself in a `report`. */
  readonly reported: Health;
  readonly reportedReason: string;
  /** What its last check reply (or confirm) said: a degraded one is not hidden by a report of ok (the worse of the two shows). */
  readonly answered: Health;
  readonly answeredReason: string;
  readonly active: boolean;
  /** The process it runs as (0: none known). */
  readonly pid: number;
  /** Restarts hamon made or asked for, for its own failures or an operator. */
  readonly restarts: number;
  /** Restarts caused by another component (`binds_to`, a plane restart): counted apart, never its own failures. */
  readonly collateral: number;
  /** When its next restart is due (the backoff); Infinity when none waits. */
  readonly nextAttemptMs: number;
  /** Flapping until then (a weaker node); Infinity when not. */
  readonly flappingUntilMs: number;
  /** An operator's hold (`hamon stop NAME`): stopped if hamon owns it, not watched, never a failure, until `hamon start NAME`. */
  readonly held: boolean;
  /** Times it became ready: registered, or (a daemon that does not register) started, probed, named by its pid file, its region attached. */
  readonly registrations: number;
  /** When hamon (re)started it, for the start → ready latency; -1 when no start is awaited. */
  readonly startedAtMs: number;
  /** hamon itself is stopping or restarting it: its disconnect and exit are not failures. */
  readonly expectGone: boolean;
  /** Busy since then: a check unanswered while its process works (engine/stall.ts); Infinity when not. */
  readonly busySinceMs: number;
}

export type LifeEvent =
  /** Expect it to register (spawned, activated, awaited after a monitor restart). */
  | { type: "expect"; reason: string; waitMs: number }
  /** It registered (as process `pid`, when it says). */
  | { type: "registered"; pid?: number }
  /** Counters carried over from the previous monitor (its journal). */
  | { type: "resumed"; restarts: number }
  /** hamon started it as `pid`: the start → ready latency runs from now. */
  | { type: "spawned"; pid: number }
  /** A running process was found for it: the journal's, a marked one, its pid file's, its region's writer. */
  | { type: "adopted"; pid: number }
  /** A daemon that does not register is ready (`why`: started, its probe passed, its pid file names it, its region attached). */
  | { type: "ready"; why: string }
  /** hamon stops it for good (deactivated, the monitor exiting). */
  | { type: "stopping" }
  /** The stop (for good or for a restart) is over. */
  | { type: "stopped" }
  /** A connected component was asked to restart its own daemon (a sidecar): its re-registration is the ready. */
  | { type: "delegated" }
  /** That request was carried out (counted as a restart) or not. */
  | { type: "delegate-done"; ok: boolean }
  /** It is there without registering: an attached daemon, a fast path's region, an activated connected component. */
  | { type: "present"; reason: string }
  | { type: "deregistered"; reason: string }
  | { type: "activated" }
  | { type: "deactivated"; reason: string }
  /** hamon restarts it (`counted`: a new restart, not one the previous monitor began; `collateral`: for another component's failure); `alive`: a stop comes first, its disconnect and exit are not failures. */
  | { type: "restarting"; why: string; counted: boolean; alive: boolean; collateral?: boolean }
  /** Its restart waits until `untilMs` (the backoff). */
  | { type: "backoff"; untilMs: number }
  /** Its recoveries reached the flap threshold: flapping until `untilMs`. */
  | { type: "flapping"; untilMs: number }
  /** The flapping window passed. */
  | { type: "steady" }
  /** An operator holds it (`hamon stop`): no deadline, no failure, until released. */
  | { type: "hold"; reason: string }
  /** The hold ends (`hamon start`): what follows (a spawn, an expectation) says how it comes back. */
  | { type: "release" }
  /** Held back until what it starts after is ready: no deadline runs meanwhile. */
  | { type: "waiting"; reason: string }
  /** It is gone or broken: exited, could not start, died while no monitor ran, a writer gone. `state` "up" for a fast path whose process runs. */
  | { type: "failed"; reason: string; state?: "down" | "up" }
  /** Its connection was lost; what it said just before (a sidecar's "killed by SIGKILL") is kept as better evidence. */
  | { type: "lost"; reason: string }
  /** The readiness deadline passed. */
  | { type: "ready-due" }
  /** The grace after a recovery ended. */
  | { type: "refail-due"; quarantined: boolean }
  /** A failure was ignored during grace ending at `untilMs`: raise it again then. */
  | { type: "grace"; untilMs: number }
  /** Its own report. `checksFailing`: whether a check currently fails. */
  | { type: "report"; health: Health; reason: string; checksFailing: boolean }
  /** A reply or confirm said how it is. */
  | { type: "answer"; health: Health; detail: string; checksFailing: boolean; known: boolean }
  | { type: "check-failed"; reason: string; certain: boolean }
  /** Every check passes again. */
  | { type: "checks-ok" }
  /** Degraded without failing (a fast-path core gone suspect). */
  | { type: "degraded"; reason: string }
  /** A check unanswered while its process works (engine/stall.ts): degraded, not failed; the episode's start is kept. */
  | { type: "busy"; reason: string }
  /** Only the reason changes (a heartbeat region that cannot be used yet). */
  | { type: "note"; reason: string };

export type LifeAction =
  | { type: "failure"; reason: string; certain: boolean }
  | { type: "healthy" }
  /** Its health changed to degraded (an event for the operator). */
  | { type: "degraded"; reason: string }
  /** A busy episode began (an event for the operator). */
  | { type: "busy"; reason: string }
  /** It became ready after hamon started it: the `ready` event, with the latency in `reason`. */
  | { type: "ready"; reason: string };

export interface LifeResult {
  readonly life: Life;
  readonly actions: readonly LifeAction[];
}

export const NEW_LIFE: Life = { state: "starting", health: "ok", reason: "", readyByMs: Infinity, readyWaitMs: 0, refailAtMs: Infinity, reported: "ok", reportedReason: "", answered: "ok", answeredReason: "", active: true, pid: 0, restarts: 0, collateral: 0, nextAttemptMs: Infinity, flappingUntilMs: Infinity, held: false, registrations: 0, startedAtMs: -1, expectGone: false, busySinceMs: Infinity };

const NONE: readonly LifeAction[] = [];
/** Shared: an ok answer arrives every period for every check (the hot path allocates no action list). */
const HEALTHY: readonly LifeAction[] = Object.freeze([Object.freeze({ type: "healthy" as const })]);

export function lifecycle(l: Life, ev: LifeEvent, now: number): LifeResult {
  switch (ev.type) {
    case "expect": return to({ ...l, state: "starting", health: "ok", reason: ev.reason, readyByMs: now + ev.waitMs, readyWaitMs: ev.waitMs });
    case "registered": {
      const life: Life = { ...l, state: "up", health: "ok", reason: "", readyByMs: Infinity, refailAtMs: Infinity, reported: "ok", reportedReason: "", answered: "ok", answeredReason: "", registrations: l.registrations + 1, startedAtMs: -1, pid: ev.pid ?? l.pid };
      return readyAfterStart(l, life, "registered", now);
    }
    case "resumed": return to({ ...l, restarts: ev.restarts });
    case "spawned": return to({ ...l, pid: ev.pid, startedAtMs: now, expectGone: false, busySinceMs: Infinity });
    case "adopted": return to({ ...l, pid: ev.pid });
    case "ready": return readyAfterStart(l, { ...l, state: "up", health: "ok", reason: "", readyByMs: Infinity, registrations: l.registrations + 1, startedAtMs: -1 }, ev.why, now);
    case "stopping": return to({ ...l, expectGone: true });
    case "stopped": return to({ ...l, expectGone: false });
    case "delegated": return to({ ...l, startedAtMs: now });
    case "delegate-done": return to(ev.ok ? { ...l, restarts: l.restarts + 1 } : { ...l, startedAtMs: -1 });
    case "present": return to({ ...l, state: "up", health: "ok", reason: ev.reason, readyByMs: Infinity });
    case "deregistered": return to({ ...l, state: l.active ? "stopped" : "inactive", health: "ok", reason: `deregistered: ${ev.reason}`, busySinceMs: Infinity });
    case "activated": return to({ ...l, active: true });
    case "deactivated": return to({ ...l, active: false, state: "inactive", health: "ok", reason: ev.reason, readyByMs: Infinity, refailAtMs: Infinity, nextAttemptMs: Infinity, flappingUntilMs: Infinity, held: false, busySinceMs: Infinity });
    case "restarting": {
      const counts = { restarts: l.restarts + (ev.counted && !ev.collateral ? 1 : 0), collateral: l.collateral + (ev.collateral ? 1 : 0), nextAttemptMs: Infinity };
      return to(ev.alive ? { ...l, ...counts, expectGone: true, state: "starting", health: "ok", reason: `restarting: ${ev.why}`, busySinceMs: Infinity } : { ...l, ...counts, busySinceMs: Infinity });
    }
    case "backoff": return to({ ...l, nextAttemptMs: ev.untilMs });
    case "flapping": return to({ ...l, flappingUntilMs: ev.untilMs });
    case "steady": return to({ ...l, flappingUntilMs: Infinity });
    case "hold": return to({ ...l, held: true, state: "stopped", health: "ok", reason: ev.reason, readyByMs: Infinity, refailAtMs: Infinity, nextAttemptMs: Infinity, busySinceMs: Infinity });
    case "release": return to({ ...l, held: false });
    case "waiting": return to({ ...l, state: "starting", health: "ok", reason: ev.reason, readyByMs: Infinity });
    case "failed": return to({ ...l, state: ev.state ?? "down", health: "failed", reason: ev.reason, busySinceMs: Infinity });
    case "lost": {
      const lastWords = l.health === "failed" && l.reason ? l.reason : "";
      return to({ ...l, state: "down", health: "failed", reason: lastWords ? `${lastWords}; then ${ev.reason}` : ev.reason, busySinceMs: Infinity });
    }
    case "ready-due": {
      const next = { ...l, readyByMs: Infinity };
      if (l.state !== "starting" || !l.active) return to(next);
      const why = `not registered within ${l.readyWaitMs} ms (${l.reason})`;
      // Uncertain: the monitor's own lateness can fake a missed deadline.
      return { life: { ...next, state: "down", health: "failed", reason: why }, actions: [{ type: "failure", reason: why, certain: false }] };
    }
    case "refail-due": {
      const next = { ...l, refailAtMs: Infinity };
      // Still failing: down, or up with a failed health (a check that failed during grace fails on,
      // without a new transition to say so: a daemon that hung right after its restart).
      const failing = l.state === "down" || (l.state === "up" && l.health === "failed");
      // A restart already waiting for its backoff is the answer to it: no new failure.
      if (!failing || !l.active || ev.quarantined || l.nextAttemptMs !== Infinity) return to(next);
      const what = l.state === "down" ? "still down" : "still failing";
      return { life: next, actions: [{ type: "failure", reason: `${what} after the grace period: ${l.reason}`, certain: true }] };
    }
    case "grace": return to({ ...l, refailAtMs: Math.min(l.refailAtMs, ev.untilMs) });
    case "report": {
      // Its own word replaces its last one; what shows is the worse of it and its checks: a failing check,
      // or a last reply that said degraded, still shows over a report of ok.
      const answerWorse = ev.health === "ok" && l.answered === "degraded";
      const shown = ev.checksFailing && ev.health !== "failed" ? {} : answerWorse ? { health: "degraded" as const, reason: l.answeredReason } : { health: ev.health, reason: ev.reason };
      const next = { ...l, ...shown, reported: ev.health, reportedReason: ev.reason };
      if (ev.health === "failed") return { life: next, actions: [{ type: "failure", reason: `reported failed: ${ev.reason}`, certain: true }] };
      return { life: next, actions: ev.health === "ok" ? HEALTHY : NONE };
    }
    case "answer": {
      if (ev.health === "degraded") {
        if (l.health === "degraded") return to(l.answered === "degraded" ? l : { ...l, answered: "degraded", answeredReason: ev.detail });
        return { life: { ...l, health: "degraded", reason: ev.detail, answered: "degraded", answeredReason: ev.detail }, actions: [{ type: "degraded", reason: ev.detail }] };
      }
      if (ev.health !== "ok") return to(l); // a failed answer fails its check: the check table says so
      // An ok answer clears a degraded *answer*, never a degraded *report* (only the next report does).
      const clear = l.health === "degraded" && l.reported !== "degraded" && !ev.checksFailing;
      const base = l.answered === "ok" ? l : { ...l, answered: "ok" as const, answeredReason: "" };
      return { life: clear ? { ...base, health: "ok", reason: "" } : base, actions: ev.known ? HEALTHY : NONE };
    }
    case "check-failed": return { life: { ...l, health: "failed", reason: ev.reason, busySinceMs: Infinity }, actions: [{ type: "failure", reason: ev.reason, certain: ev.certain }] };
    // Checks pass again: what shows is the component's own last report (ok unless it said otherwise).
    case "checks-ok": return { life: { ...l, health: l.reported, reason: l.reported === "ok" ? "" : l.reportedReason, busySinceMs: Infinity }, actions: HEALTHY };
    case "busy": {
      const life: Life = { ...l, health: "degraded", reason: ev.reason, busySinceMs: l.busySinceMs === Infinity ? now : l.busySinceMs };
      return l.busySinceMs === Infinity ? { life, actions: [{ type: "busy", reason: ev.reason }] } : to(life);
    }
    case "degraded": return to(l.health === "ok" ? { ...l, state: "up", health: "degraded", reason: ev.reason } : l);
    case "note": return to({ ...l, reason: ev.reason });
    default: {
      const never: never = ev;
      throw new Error(`unhandled lifecycle event ${JSON.stringify(never)}`);
    }
  }
}

/** `life`, and the `ready` event when hamon had started it (the latency since `was.startedAtMs`). */
function readyAfterStart(was: Life, life: Life, why: string, now: number): LifeResult {
  return was.startedAtMs >= 0 ? { life, actions: [{ type: "ready", reason: `${why} ${Math.round(now - was.startedAtMs)} ms after start` }] } : to(life);
}

function to(life: Life): LifeResult {
  return { life, actions: NONE };
}
