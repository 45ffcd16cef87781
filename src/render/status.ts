/**
 * Status rendering, pure: strings in, strings out. Human table (aligned,
 * no colour), stable JSON (schema version 1; fields are only ever added), and
 * a one-line-per-component list for scripts.
 */
import type { ComponentStatus, MonitorInfo } from "../protocol/messages.ts";
import { formatAge } from "./age.ts";
import { renderCores } from "./cores.ts";

export interface StatusView {
  monitor: MonitorInfo | null;
  components: readonly ComponentStatus[];
}

const COLUMNS = ["NAME", "KIND", "PLANE", "STATE", "HEALTH", "PID", "AGE", "RESTARTS", "REASON"] as const;

export { formatAge };

export function renderStatusTable(v: StatusView): string {
  const rows = v.components.map((c) => [c.name, c.kind, c.plane, c.state, c.health, c.pid ? String(c.pid) : "-", formatAge(c.ageMs), String(c.restarts), c.reason || "-"]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const head = v.monitor ? `monitor pid ${v.monitor.pid}, version ${v.monitor.version}, up ${formatAge(v.monitor.uptimeMs)}, ${v.components.length} components\n` : "";
  // A fast path named in the request comes with its cores: one table per fast path below.
  const cores = v.components.filter((c) => c.cores?.length).map((c) => `\n${c.name}: ${c.cores!.length} cores\n${renderCores(c.cores!)}`).join("");
  return `${head}${[line(COLUMNS), ...rows.map(line)].join("\n")}\n${cores}`;
}

export function renderStatusJson(v: StatusView): string {
  return `${JSON.stringify({ version: 1, monitor: v.monitor, components: v.components }, null, 2)}\n`;
}

export function renderList(v: StatusView): string {
  return v.components.map((c) => `${c.name} ${c.state} ${c.health}\n`).join("");
}
