/**
 * The Prometheus text exposition format (version 0.0.4) of what the monitor
 * knows. Pure: a snapshot in, text out. Names and units follow the
 * Prometheus conventions: `hamon_` prefix, base units (seconds), `_total`
 * for counters, enums as one 0/1 series per value so a state change never
 * leaves a stale series behind. docs/integrations.md lists every metric.
 */
import { NODE_HEALTHS, type NodeVerdict } from "../engine/node.ts";
import { LATENESS_BUCKETS_S } from "../engine/lateness.ts";
import { RESOURCES } from "../engine/pressure.ts";
import { HEALTH as HEALTHS, LEVELS, type Level } from "../protocol/messages.ts";

export const COMPONENT_STATES = ["starting", "up", "down", "inactive", "stopped"] as const;
export const CORE_VERDICTS = ["ok", "slow", "overloaded", "suspect", "dead", "corrupt", "unmonitored", "writer-gone"] as const;

export interface MetricsSnapshot {
  version: string;
  /** Unix time the monitor started, seconds. */
  startTimeS: number;
  /** `busySinceMs`: finite while the component is busy (a silent check while it works: engine/stall.ts). */
  components: readonly { name: string; plane: string; kind: string; state: string; health: string; restarts: number; quarantined: boolean; held: boolean; busySinceMs: number }[];
  /** PSI per resource (RESOURCES' order): the share of the last interval (%, NaN unknown), and whether it is under pressure. */
  pressure: { shares: readonly number[]; under: readonly boolean[] };
  fastpaths: readonly { fastpath: string; cores: readonly { slot: number; lcore: number; name: string; verdict: string; ageMs: number }[] }[];
  lateness: { counts: ArrayLike<number>; sumS: number; count: number };
  node: NodeVerdict;
  /** Counted from the event stream since this monitor started. */
  recoveries: Readonly<Record<Level, number>>;
  quarantines: number;
  starved: number;
  events: number;
  /** State-dir writes that failed (src/monitor/persistence.ts). */
  persistence: { eventsLost: number; journalFailures: number };
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function renderMetrics(s: MetricsSnapshot): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter" | "histogram", help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const line = (name: string, labels: Record<string, string | number>, v: number) => out.push(`${name}${labelSet(labels)} ${num(v)}`);

  family("hamon_build_info", "gauge", "Version of the running monitor (always 1).");
  line("hamon_build_info", { version: s.version }, 1);
  family("hamon_monitor_start_time_seconds", "gauge", "Unix time the monitor started.");
  line("hamon_monitor_start_time_seconds", {}, s.startTimeS);

  family("hamon_monitor_loop_lateness_seconds", "histogram", "How late the monitor's timer fired (its own health: a starved monitor judges on stale evidence).");
  let cum = 0;
  for (let i = 0; i <= LATENESS_BUCKETS_S.length; i++) {
    cum += s.lateness.counts[i] ?? 0;
    line("hamon_monitor_loop_lateness_seconds_bucket", { le: i < LATENESS_BUCKETS_S.length ? String(LATENESS_BUCKETS_S[i]) : "+Inf" }, cum);
  }
  line("hamon_monitor_loop_lateness_seconds_sum", {}, s.lateness.sumS);
  line("hamon_monitor_loop_lateness_seconds_count", {}, s.lateness.count);
  family("hamon_monitor_starved_total", "counter", "Times the monitor found itself starved and re-checked instead of acting.");
  line("hamon_monitor_starved_total", {}, s.starved);
  family("hamon_events_total", "counter", "Events the monitor emitted.");
  line("hamon_events_total", {}, s.events);
  family("hamon_events_lost_total", "counter", "Events that could not be appended to events.jsonl (full or read-only state dir).");
  line("hamon_events_lost_total", {}, s.persistence.eventsLost);
  family("hamon_journal_write_failures_total", "counter", "Journal writes that failed (each is retried; counters are not lost while the monitor runs).");
  line("hamon_journal_write_failures_total", {}, s.persistence.journalFailures);

  family("hamon_node_health", "gauge", "The node verdict told to the HA engine (1 for the current value).");
  for (const h of NODE_HEALTHS) line("hamon_node_health", { health: h }, s.node.health === h ? 1 : 0);
  family("hamon_node_penalty", "gauge", "Priority penalty of the node verdict (keepalived track file 'penalty').");
  line("hamon_node_penalty", {}, s.node.penalty);

  family("hamon_recoveries_total", "counter", "Recoveries decided, by level (above restart-daemon: escalations).");
  for (const l of LEVELS) line("hamon_recoveries_total", { level: l }, s.recoveries[l]);
  family("hamon_quarantines_total", "counter", "Components quarantined for flapping.");
  line("hamon_quarantines_total", {}, s.quarantines);

  family("hamon_component_up", "gauge", "1 if the component is up (registered, or its daemon alive).");
  for (const c of s.components) line("hamon_component_up", { component: c.name, plane: c.plane, kind: c.kind }, c.state === "up" ? 1 : 0);
  family("hamon_component_state", "gauge", "Lifecycle state of the component (1 for the current value).");
  for (const c of s.components) for (const st of COMPONENT_STATES) line("hamon_component_state", { component: c.name, state: st }, c.state === st ? 1 : 0);
  family("hamon_component_health", "gauge", "Health of the component (1 for the current value).");
  for (const c of s.components) for (const h of HEALTHS) line("hamon_component_health", { component: c.name, health: h }, c.health === h ? 1 : 0);
  family("hamon_component_restarts_total", "counter", "Restarts of the component (kept across monitor restarts).");
  for (const c of s.components) line("hamon_component_restarts_total", { component: c.name }, c.restarts);
  family("hamon_component_quarantined", "gauge", "1 while the component is quarantined (an operator must restart it).");
  for (const c of s.components) line("hamon_component_quarantined", { component: c.name }, c.quarantined ? 1 : 0);
  family("hamon_component_held", "gauge", "1 while an operator holds the component (hamon stop NAME): stopped, not watched, not a failure.");
  for (const c of s.components) line("hamon_component_held", { component: c.name }, c.held ? 1 : 0);

  family("hamon_component_busy", "gauge", "1 while the component is busy: a check unanswered while its process works (not hung: not restarted until busy_max_ms).");
  for (const c of s.components) line("hamon_component_busy", { component: c.name }, c.busySinceMs !== Infinity ? 1 : 0);

  family("hamon_node_pressure_ratio", "gauge", "Share of the last second in which runnable tasks waited for the resource (PSI some), 0..1.");
  for (let i = 0; i < RESOURCES.length; i++) if (!Number.isNaN(s.pressure.shares[i])) line("hamon_node_pressure_ratio", { resource: RESOURCES[i]! }, s.pressure.shares[i]! / 100);
  family("hamon_node_under_pressure", "gauge", "1 while the resource is above its [node] pressure_*_pct for pressure_for_ms (the node is yellow).");
  for (let i = 0; i < RESOURCES.length; i++) line("hamon_node_under_pressure", { resource: RESOURCES[i]! }, s.pressure.under[i] ? 1 : 0);

  family("hamon_fastpath_core_beat_age_seconds", "gauge", "Time since the core's heartbeat counter last moved, by hamon's clock.");
  for (const f of s.fastpaths) for (const c of f.cores) line("hamon_fastpath_core_beat_age_seconds", { fastpath: f.fastpath, slot: c.slot, lcore: c.lcore, core: c.name }, c.ageMs / 1_000);
  family("hamon_fastpath_core_verdict", "gauge", "The watchdog's verdict on the core (1 for the current value).");
  for (const f of s.fastpaths) for (const c of f.cores) for (const v of CORE_VERDICTS) line("hamon_fastpath_core_verdict", { fastpath: f.fastpath, slot: c.slot, verdict: v }, c.verdict === v ? 1 : 0);
  out.push("");
  return out.join("\n");
}

function labelSet(labels: Record<string, string | number>): string {
  const keys = Object.keys(labels);
  if (!keys.length) return "";
  return `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(",")}}`;
}

/** Label values: backslash, double quote and line feed escaped (the exposition format's rules). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}
