/**
 * The tables that tell the HA engines: `[node]` (how the node verdict
 * weighs things), `[keepalived]`, `[pacemaker]`, `[prometheus]`. Each adapter
 * is off unless its table enables it; hamon runs the same without any.
 * docs/integrations.md is the reference.
 */
import { DEFAULT_WEIGHTS, MAX_PENALTY, type NodeWeights } from "../engine/node.ts";
import { DEFAULT_PRESSURE, type PressureLimits } from "../engine/pressure.ts";
import { bool, ConfigErrors, int, oneOf, onlyKeys, str, type Table } from "./validate.ts";

export interface KeepalivedConfig {
  /** Directory of the track files `node_ok` and `penalty` (must exist for keepalived when it loads its config). */
  dir: string;
  /** What a clean stop of the monitor leaves in node_ok: "fault" writes 0, "keep" leaves the last verdict. */
  onMonitorExit: "fault" | "keep";
}

export interface PacemakerConfig {
  /** The transient node attribute (a `#health` prefix makes it a health attribute). */
  attribute: string;
  /** attrd_updater: an absolute path, or a name looked up in PATH when the monitor starts. */
  attrdUpdater: string;
  /** attrd_updater --delay: Pacemaker waits this long for further changes (dampening), seconds. */
  dampeningS: number;
  /**
   * What the attribute carries: "colour" (green | yellow | red, for migrate-on-red and only-green),
   * or "score" (yellow becomes -penalty, an integer the progressive and custom strategies add to
   * node-health-base; green and red stay colours).
   */
  value: "colour" | "score";
  /**
   * What a pending reboot-system does on a cluster node before the [levels] hook: "hook" (nothing
   * more), "standby" (a transient standby, then the hook once the cluster has moved the resources
   * away or `standby_timeout_s` passed), "terminate" (the `terminate` attribute: the cluster fences
   * the node; then the hook).
   */
  onReboot: "hook" | "standby" | "terminate";
  /** How long a standby may take to move the resources before the hook runs anyway, seconds. */
  standbyTimeoutS: number;
}

export interface PrometheusConfig {
  /** node_exporter textfile collector file (written by rename); null = none. */
  textfile: string | null;
  /** How often the textfile is rewritten. */
  intervalMs: number;
  /** "HOST:PORT" served over HTTP (GET /metrics); null = none. Loopback unless you mean otherwise. */
  listen: { host: string; port: number } | null;
}

export interface IntegrationsConfig {
  node: NodeWeights;
  /** PSI limits: a node under pressure is yellow (engine/pressure.ts). */
  pressure: PressureLimits;
  keepalived: KeepalivedConfig | null;
  pacemaker: PacemakerConfig | null;
  prometheus: PrometheusConfig | null;
}

export const DEFAULT_INTEGRATIONS: IntegrationsConfig = { node: DEFAULT_WEIGHTS, pressure: DEFAULT_PRESSURE, keepalived: null, pacemaker: null, prometheus: null };

export const INTEGRATION_TABLES = ["node", "keepalived", "pacemaker", "prometheus"] as const;

const ABS = /^\/.+/;
const LISTEN_RE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const ATTR_RE = /^[#A-Za-z0-9_.-]{1,64}$/;

/** `tables`: the raw tables by name ({} when absent). */
export function integrationsFrom(tables: Record<(typeof INTEGRATION_TABLES)[number], Table>, present: (name: string) => boolean, e: ConfigErrors): IntegrationsConfig {
  const n = tables.node;
  onlyKeys(n, "node", ["degraded_penalty", "control_plane_penalty", "starved_penalty", "pressure_penalty", "pressure_cpu_pct", "pressure_memory_pct", "pressure_io_pct", "pressure_for_ms"], e);
  const node: NodeWeights = {
    degradedPenalty: int(n, "degraded_penalty", "node", e, 0, MAX_PENALTY, DEFAULT_WEIGHTS.degradedPenalty),
    controlPlanePenalty: int(n, "control_plane_penalty", "node", e, 0, MAX_PENALTY, DEFAULT_WEIGHTS.controlPlanePenalty),
    starvedPenalty: int(n, "starved_penalty", "node", e, 0, MAX_PENALTY, DEFAULT_WEIGHTS.starvedPenalty),
    pressurePenalty: int(n, "pressure_penalty", "node", e, 0, MAX_PENALTY, DEFAULT_WEIGHTS.pressurePenalty),
  };
  const pct = (r: "cpu" | "memory" | "io", i: number) => int(n, `pressure_${r}_pct`, "node", e, 0, 100, DEFAULT_PRESSURE.pct[i]!);
  const pressure: PressureLimits = { pct: [pct("cpu", 0), pct("memory", 1), pct("io", 2)], forMs: int(n, "pressure_for_ms", "node", e, 1_000, 86_400_000, DEFAULT_PRESSURE.forMs) };
  return { node, pressure, keepalived: keepalived(tables.keepalived, present("keepalived"), e), pacemaker: pacemaker(tables.pacemaker, present("pacemaker"), e), prometheus: prometheus(tables.prometheus, present("prometheus"), e) };
}

function enabled(t: Table, path: string, present: boolean, e: ConfigErrors): boolean {
  return present && bool(t, "enabled", path, e, true);
}

function keepalived(t: Table, present: boolean, e: ConfigErrors): KeepalivedConfig | null {
  onlyKeys(t, "keepalived", ["enabled", "dir", "on_monitor_exit"], e);
  if (!enabled(t, "keepalived", present, e)) return null;
  if (t.dir === undefined) e.add("keepalived.dir", "is required (absolute path of the track-file directory, e.g. /run/hamon/keepalived)");
  return { dir: str(t, "dir", "keepalived", e, "", ABS), onMonitorExit: oneOf(t, "on_monitor_exit", "keepalived", e, ["fault", "keep"] as const, "fault") };
}

function pacemaker(t: Table, present: boolean, e: ConfigErrors): PacemakerConfig | null {
  onlyKeys(t, "pacemaker", ["enabled", "attribute", "attrd_updater", "dampening_s", "value", "on_reboot", "standby_timeout_s"], e);
  if (!enabled(t, "pacemaker", present, e)) return null;
  return {
    attribute: str(t, "attribute", "pacemaker", e, "#health-hamon", ATTR_RE),
    attrdUpdater: str(t, "attrd_updater", "pacemaker", e, "attrd_updater", /^(\/.+|[A-Za-z0-9_.-]+)$/),
    dampeningS: int(t, "dampening_s", "pacemaker", e, 0, 3_600, 5),
    value: oneOf(t, "value", "pacemaker", e, ["colour", "score"] as const, "colour"),
    onReboot: oneOf(t, "on_reboot", "pacemaker", e, ["hook", "standby", "terminate"] as const, "hook"),
    standbyTimeoutS: int(t, "standby_timeout_s", "pacemaker", e, 1, 3_600, 120),
  };
}

function prometheus(t: Table, present: boolean, e: ConfigErrors): PrometheusConfig | null {
  onlyKeys(t, "prometheus", ["enabled", "textfile", "interval_ms", "listen"], e);
  if (!enabled(t, "prometheus", present, e)) return null;
  const textfile = t.textfile === undefined ? null : str(t, "textfile", "prometheus", e, "", /^\/.+\.prom$/);
  let listen: PrometheusConfig["listen"] = null;
  if (t.listen !== undefined) {
    const s = str(t, "listen", "prometheus", e, "", LISTEN_RE);
    const m = LISTEN_RE.exec(s);
    const port = m ? Number(m[2]) : 0;
    if (m && (port < 1 || port > 65_535)) e.add("prometheus.listen", "port must be in 1..65535", s);
    else if (m) listen = { host: m[1]!.replace(/^\[|\]$/g, ""), port };
  }
  if (textfile === null && listen === null) e.add("prometheus", "give textfile (node_exporter textfile collector, *.prom), listen (\"127.0.0.1:9464\"), or both");
  return { textfile, intervalMs: int(t, "interval_ms", "prometheus", e, 100, 3_600_000, 5_000), listen };
}
