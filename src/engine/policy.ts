/**
 * Recovery policy as data: the ladder, windows, grace and quarantine rules
 * for one component. Validated once when the configuration loads (config
 * issue); the engine trusts it.
 *
 * @example
 *   const p: ComponentPolicy = { ...DEFAULT_POLICY, ladder: [{ failures: 3, withinMs: 60_000, then: "restart-control-plane" }] };
 */
import { LEVELS, type Level, type Plane } from "../protocol/messages.ts";

/**
 * Restarts of a failing daemon: the first at once, then after `initialMs`,
 * doubling up to `maxMs`; a failure after `resetMs` of health starts again
 * at once (runit retries every second forever; this waits longer the
 * longer it keeps failing, and never gives up).
 */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
}

/** After `failures` failures within `withinMs`, respond with `then` instead of the base level. */
export interface LadderRule {
  readonly failures: number;
  readonly withinMs: number;
  readonly then: Level;
}

export interface ComponentPolicy {
  readonly plane: Plane;
  /** First response to a failure. */
  readonly baseLevel: Level;
  /** Rules checked from the most severe down; the first that matches wins. */
  readonly ladder: readonly LadderRule[];
  /** Highest level this component may recommend in an error report. */
  readonly maxRecommend: Level;
  /** After a recovery, further failures are ignored for this long (the component is restarting). */
  readonly graceMs: number;
  /** Healthy this long without a failure: the failure history is forgotten. */
  readonly healthyResetMs: number;
  /** `restarts` recoveries within `withinMs`: flapping (an event, a yellow node; restarts go on with the backoff). */
  readonly flap: { readonly restarts: number; readonly withinMs: number };
  /** Planes that cannot be left broken (fast path): a flapping one escalates. */
  readonly escalateOnFlap: boolean;
  /** Opt-in: a flapping component is given up on (quarantined) until an operator restarts it. */
  readonly quarantine: boolean;
  /** Opt-in: a start failure (it exits before it is ready, or cannot be started) climbs the ladder too; by default it restarts only itself. */
  readonly escalateStartFailures: boolean;
  readonly backoff: Backoff;
}

/**
 * The most a failure on each plane causes unless the component's own config
 * says more: its own plane's ladder. A system daemon (a web UI, a time
 * daemon) restarts itself only; a control-plane daemon may restart the
 * control plane; a fast path may take the node.
 */
export const PLANE_CAP: Readonly<Record<Plane, Level>> = { system: "restart-daemon", control: "restart-control-plane", fast: "reboot-system" };

/** `p` within `plane`'s ladder: levels above its cap are lowered, rungs above it dropped. */
export function withinPlane(p: ComponentPolicy, plane: Plane): ComponentPolicy {
  const cap = PLANE_CAP[plane];
  return { ...p, plane, baseLevel: minLevel(p.baseLevel, cap), maxRecommend: minLevel(p.maxRecommend, cap), ladder: p.ladder.filter((r) => severity(r.then) <= severity(cap)) };
}

/** How long after its failure a component's restart waits: 0 for the first of a streak, then the backoff. */
export function backoffDelay(streak: number, b: Backoff): number {
  return streak <= 1 ? 0 : Math.min(b.maxMs, b.initialMs * 2 ** Math.min(30, streak - 2));
}

export const DEFAULT_POLICY: ComponentPolicy = {
  plane: "control",
  baseLevel: "restart-daemon",
  // One rung: a control-plane daemon failing 3 times a minute restarts the control plane (withinPlane drops it for a system daemon).
  ladder: [{ failures: 3, withinMs: 60_000, then: "restart-control-plane" }],
  maxRecommend: "restart-control-plane",
  graceMs: 5_000,
  healthyResetMs: 600_000,
  flap: { restarts: 5, withinMs: 600_000 },
  escalateOnFlap: false,
  quarantine: false,
  escalateStartFailures: false,
  backoff: { initialMs: 100, maxMs: 5_000, resetMs: 60_000 },
};

/** A dead fast-path core: the fast path and the control plane restart together. */
export const FAST_PATH_POLICY: ComponentPolicy = {
  ...DEFAULT_POLICY,
  plane: "fast",
  baseLevel: "restart-control-plane-and-fast-path",
  ladder: [{ failures: 3, withinMs: 600_000, then: "reboot-system" }],
  maxRecommend: "restart-control-plane-and-fast-path",
  escalateOnFlap: true,
};

/** Severity index of a level (0 = restart-daemon). */
export function severity(l: Level): number {
  return LEVELS.indexOf(l);
}

export function maxLevel(a: Level, b: Level): Level {
  return severity(a) >= severity(b) ? a : b;
}

export function minLevel(a: Level, b: Level): Level {
  return severity(a) <= severity(b) ? a : b;
}
