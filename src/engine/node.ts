/**
 * The node verdict: what hamon tells the HA engine about this node as a
 * whole, as opposed to what it does about one component. Pure: a function of
 * the components' rows, the recoveries still pending and whether the monitor
 * itself is starved.
 *
 * - red (keepalived FAULT, Pacemaker `#health-hamon=red`): the node must give
 *   up mastership: a fast path is not forwarding (a core dead or corrupt, its
 *   writer gone, no region yet), or a recovery that takes the fast path down
 *   (restart-control-plane-and-fast-path) or the whole node (reboot-system)
 *   is pending.
 * - yellow (a priority penalty, `#health-hamon=yellow`): the node forwards but
 *   is weaker: components degraded, failed, absent or flapping, a
 *   control-plane restart pending, the monitor starved, the node under CPU,
 *   memory or I/O pressure. The penalty grows with each and is capped
 *   at 253 so that it alone never means FAULT (keepalived: weight -1, a value
 *   ≥ 254 would).
 * - green: nothing to say.
 */
import type { Health, Level, Plane } from "../protocol/messages.ts";
import { severity } from "./policy.ts";

export type NodeHealth = "green" | "yellow" | "red";
export const NODE_HEALTHS: readonly NodeHealth[] = ["green", "yellow", "red"];

/** The keepalived priority range is 1..254: a penalty above this would be a FAULT in disguise. */
export const MAX_PENALTY = 253;

export interface NodeVerdict {
  readonly health: NodeHealth;
  /** How much to lower the VRRP priority, 0..MAX_PENALTY. */
  readonly penalty: number;
  /** Why, for people: the first cause, then how many others. Empty when green. */
  readonly reason: string;
}

export const GREEN: NodeVerdict = { health: "green", penalty: 0, reason: "" };

/** What of a component the verdict looks at (a registry entry has all of it). */
export interface NodeRow {
  readonly name: string;
  readonly plane: Plane;
  readonly state: string;
  readonly health: Health;
  readonly active: boolean;
  /** Flapping until then (its restarts go on: the node is weaker meanwhile); absent or Infinity: not flapping. */
  readonly flappingUntilMs?: number;
  /** Held by an operator (maintenance): not a weakness of the node. */
  readonly held?: boolean;
}

export interface NodeWeights {
  /** Per component degraded, failed, down, starting or stopped. */
  readonly degradedPenalty: number;
  /** While a restart-control-plane is pending. */
  readonly controlPlanePenalty: number;
  /** While the monitor's own loop is starved (its evidence is stale). */
  readonly starvedPenalty: number;
  /** While the node is under pressure (CPU, memory or I/O: engine/pressure.ts). */
  readonly pressurePenalty: number;
}

export const DEFAULT_WEIGHTS: NodeWeights = { degradedPenalty: 10, controlPlanePenalty: 50, starvedPenalty: 20, pressurePenalty: 20 };

/** Levels from this one up take the fast path (or the node) down: the node must not stay master. */
const FAULT_SEVERITY = severity("restart-control-plane-and-fast-path");
const PENDING_SEVERITY = severity("restart-control-plane");

/**
 * `rows` may have holes (the registry's array keeps indexes stable); walked by index: no iterator allocated on the monitor's timer.
 * `pressure`: why the node is under pressure (engine/pressure.ts), or null.
 */
export function nodeVerdict(rows: readonly (NodeRow | null | undefined)[], pending: ReadonlyMap<string, Level>, starved: boolean, w: NodeWeights, pressure: string | null = null): NodeVerdict {
  let red: string | null = null;
  let reds = 0;
  let weak: string | null = null;
  let weaks = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r || !r.active || r.held) continue;
    if (r.plane === "fast" && (r.state !== "up" || r.health === "failed")) {
      reds++;
      red ??= `fast path ${r.name} ${r.state === "up" ? r.health : r.state}`;
    } else if (r.state !== "up" || r.health !== "ok" || (r.flappingUntilMs ?? Infinity) !== Infinity) {
      weaks++;
      weak ??= `${r.name} ${r.state !== "up" ? r.state : r.health !== "ok" ? r.health : "flapping"}`;
    }
  }
  let cpPending = 0;
  if (pending.size) for (const [name, level] of pending) {
    if (severity(level) >= FAULT_SEVERITY) {
      reds++;
      red ??= `${level} pending for ${name}`;
    } else cpPending++;
  }
  const penalty = Math.min(MAX_PENALTY, weaks * w.degradedPenalty + (cpPending ? w.controlPlanePenalty : 0) + (starved ? w.starvedPenalty : 0) + (pressure ? w.pressurePenalty : 0));
  if (red !== null) return { health: "red", penalty, reason: more(red, reds) };
  const causes: string[] = [];
  if (weak !== null) causes.push(more(weak, weaks));
  if (cpPending) causes.push(`restart-control-plane pending for ${[...pending.keys()][0]}`);
  if (starved) causes.push("monitor starved");
  if (pressure) causes.push(pressure);
  if (penalty === 0 && causes.length === 0) return GREEN;
  return { health: "yellow", penalty, reason: causes.join("; ") };
}

function more(first: string, n: number): string {
  return n > 1 ? `${first} (+${n - 1} more)` : first;
}

/**
 * Recoveries that weigh on the node until they are done: a decided
 * restart-control-plane or worse is pending until its component is up and
 * healthy again; reboot-system stays pending until an operator restarts that
 * component (or the node, and with it hamon, restarts). Returns `pending`
 * itself when nothing changed.
 */
export function trackPending(
  pending: ReadonlyMap<string, Level>,
  ev: { readonly component: string; readonly event: string; readonly level: string },
  rowOf: (name: string) => NodeRow | undefined,
): ReadonlyMap<string, Level> {
  let next: Map<string, Level> | null = null;
  const edit = () => (next ??= new Map(pending));
  if (ev.event === "recover" && severity(ev.level as Level) >= PENDING_SEVERITY) {
    const had = pending.get(ev.component);
    if (had === undefined || severity(ev.level as Level) > severity(had)) edit().set(ev.component, ev.level as Level);
  } else if ((ev.event === "operator-restart" || ev.event === "deactivated") && pending.has(ev.component)) {
    edit().delete(ev.component);
  }
  for (const [name, level] of next ?? pending) {
    if (level === "reboot-system") continue;
    const r = rowOf(name);
    // Done when it is back up and healthy — unless this very event is the decision (its component is still failed then).
    if (!r || !r.active || (r.state === "up" && r.health === "ok" && !(ev.event === "recover" && ev.component === name))) edit().delete(name);
  }
  return next ?? pending;
}

export function sameVerdict(a: NodeVerdict, b: NodeVerdict): boolean {
  return a.health === b.health && a.penalty === b.penalty && a.reason === b.reason;
}
