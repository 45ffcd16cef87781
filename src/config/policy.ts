/**
 * The recovery policy keys, shared by `[defaults]`, `[[component]]` and
 * `[[fastpath]]`: the base level, the cap on what a component may recommend,
 * grace, the healthy reset, flapping, and the ladder.
 */
import { LEVELS } from "../protocol/messages.ts";
import { FAST_PATH_POLICY, withinPlane, type ComponentPolicy, type LadderRule } from "../engine/policy.ts";
import type { Plane } from "../protocol/messages.ts";
import { bool, ConfigErrors, DAY_MS, int, isTable, oneOf, onlyKeys, type Table } from "./validate.ts";

export const POLICY_KEYS = [
  "base_level", "max_recommend", "grace_ms", "healthy_reset_ms", "flap_restarts", "flap_within_ms", "escalate_on_flap", "ladder",
  "quarantine", "escalate_start_failures", "backoff_initial_ms", "backoff_max_ms", "backoff_reset_ms",
] as const;

/** Policy keys (shared by [defaults], [[component]] and [[fastpath]]) over `base`. */
export function policyFrom(t: Table, path: string, base: ComponentPolicy, e: ConfigErrors, nested: boolean): ComponentPolicy {
  if (!nested) onlyKeys(t, path, POLICY_KEYS, e);
  const ladder = t.ladder === undefined ? base.ladder : ladderFrom(t.ladder, `${path}.ladder`, e);
  return {
    plane: base.plane,
    baseLevel: oneOf(t, "base_level", path, e, LEVELS, base.baseLevel),
    maxRecommend: oneOf(t, "max_recommend", path, e, LEVELS, base.maxRecommend),
    graceMs: int(t, "grace_ms", path, e, 0, DAY_MS, base.graceMs),
    healthyResetMs: int(t, "healthy_reset_ms", path, e, 1, 30 * DAY_MS, base.healthyResetMs),
    flap: { restarts: int(t, "flap_restarts", path, e, 1, 1_000, base.flap.restarts), withinMs: int(t, "flap_within_ms", path, e, 1, 30 * DAY_MS, base.flap.withinMs) },
    escalateOnFlap: bool(t, "escalate_on_flap", path, e, base.escalateOnFlap),
    quarantine: bool(t, "quarantine", path, e, base.quarantine),
    escalateStartFailures: bool(t, "escalate_start_failures", path, e, base.escalateStartFailures),
    backoff: {
      initialMs: int(t, "backoff_initial_ms", path, e, 1, DAY_MS, base.backoff.initialMs),
      maxMs: int(t, "backoff_max_ms", path, e, 1, DAY_MS, base.backoff.maxMs),
      resetMs: int(t, "backoff_reset_ms", path, e, 1, 30 * DAY_MS, base.backoff.resetMs),
    },
    ladder,
  };
}

function ladderFrom(v: unknown, path: string, e: ConfigErrors): LadderRule[] {
  if (!Array.isArray(v)) {
    e.add(path, "must be an array of { failures, within_ms, then }", v);
    return [];
  }
  return v.flatMap((r, i) => {
    if (!isTable(r)) {
      e.add(`${path}[${i}]`, "must be a table { failures, within_ms, then }", r);
      return [];
    }
    onlyKeys(r, `${path}[${i}]`, ["failures", "within_ms", "then"], e);
    if (r.then === undefined) e.add(`${path}[${i}].then`, "is required");
    return [{ failures: int(r, "failures", `${path}[${i}]`, e, 1, 1_000, 1), withinMs: int(r, "within_ms", `${path}[${i}]`, e, 1, 30 * DAY_MS, 60_000), then: oneOf(r, "then", `${path}[${i}]`, e, LEVELS, "restart-daemon") }];
  });
}

/** The [defaults] timing/flap knobs that also apply to fast paths (their levels stay fast-path levels). */
export function pick(d: ComponentPolicy): Partial<ComponentPolicy> {
  return { graceMs: d.graceMs, healthyResetMs: d.healthyResetMs, flap: d.flap, backoff: d.backoff, quarantine: d.quarantine, escalateStartFailures: d.escalateStartFailures };
}

/**
 * What a component on `plane` starts from: the [defaults] within its own
 * plane's ladder (a system daemon restarts itself only, a control-plane one
 * at most the control plane), fast-path levels for the fast plane. Its own
 * keys then override, so only its own config can take it further.
 */
export function planeDefaults(defaults: ComponentPolicy, plane: Plane): ComponentPolicy {
  return plane === "fast" ? { ...FAST_PATH_POLICY, ...pick(defaults), plane } : withinPlane(defaults, plane);
}
