/**
 * Recovery policy as data: the ladder, windows, grace and quarantine rules
 * for one component. Validated once when the configuration loads (config
 * issue); the engine trusts it.
 *
 * @example
 *   const p: ComponentPolicy = { ...DEFAULT_POLICY, ladder: [{ failures: 3, withinMs: 60_000, then: "restart-control-plane" }] };
 */
import { LEVELS, type Level, type Plane } from "../protocol/messages.ts";

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
  /** More than `restarts` recoveries within `withinMs`: stop restarting (quarantine), unless `escalateOnFlap`. */
  readonly flap: { readonly restarts: number; readonly withinMs: number };
  /** Planes that cannot be left broken (fast path): escalate instead of quarantining. */
  readonly escalateOnFlap: boolean;
}

export const DEFAULT_POLICY: ComponentPolicy = {
  plane: "control",
  baseLevel: "restart-daemon",
  ladder: [
    { failures: 3, withinMs: 60_000, then: "restart-control-plane" },
    { failures: 5, withinMs: 300_000, then: "restart-control-plane-and-fast-path" },
  ],
  maxRecommend: "restart-control-plane",
  graceMs: 5_000,
  healthyResetMs: 600_000,
  flap: { restarts: 5, withinMs: 600_000 },
  escalateOnFlap: false,
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
