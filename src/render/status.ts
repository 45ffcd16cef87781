/**
 * Status rendering, pure: strings in, strings out. A table for a terminal
 * (banner, aligned columns, optional colour), tab-separated columns when piped
 * (header row, no banner, nothing else), stable JSON (schema version 1; fields
 * are only ever added), the wire XML (docs/hamon-v1.xsd), and one line per
 * component for `list`.
 */
import { encode } from "../protocol/codec.ts";
import type { ComponentStatus, MessageOf, MonitorInfo } from "../protocol/messages.ts";
import { formatAge } from "./age.ts";
import { renderCores, renderCoresTsv } from "./cores.ts";
import { colourFor, printable, renderTable, renderTsv } from "./table.ts";

export interface StatusView {
  monitor: MonitorInfo | null;
  components: readonly ComponentStatus[];
}

const COLUMNS = ["NAME", "KIND", "PLANE", "STATE", "HEALTH", "PID", "AGE", "RESTARTS", "REASON"] as const;
const STATE_COL = 3;
const HEALTH_COL = 4;

export { formatAge };

/** Node colours painted like the health they stand for. */
const NODE_COLOUR = { green: "ok", yellow: "degraded", red: "failed" } as const;

function row(c: ComponentStatus): string[] {
  return [c.name, c.kind, c.plane, c.state, c.health, c.pid ? String(c.pid) : "-", formatAge(c.ageMs), String(c.restarts), c.reason || "-"];
}

export function renderStatusTable(v: StatusView, colour = false): string {
  const n = v.monitor?.node;
  const node = n ? `node ${colour ? colourFor(NODE_COLOUR[n.health])(n.health) : n.health}${n.penalty ? ` (penalty ${n.penalty})` : ""}${n.reason ? `: ${printable(n.reason)}` : ""}\n` : "";
  const p = v.monitor?.persistence;
  const persist = p && (p.eventsLost || p.journalFailures || p.failing) ? `state dir: ${p.failing ? `failing (${printable(p.failing)})` : "writable again"}; ${p.eventsLost} events lost, ${p.journalFailures} journal writes failed\n` : "";
  const head = v.monitor ? `monitor pid ${v.monitor.pid}, version ${printable(v.monitor.version)}, up ${formatAge(v.monitor.uptimeMs)}, ${v.components.length} components\n${node}${persist}` : "";
  const paint = colour ? (cell: string, col: number) => (col === STATE_COL || col === HEALTH_COL ? colourFor(cell)(cell) : cell) : undefined;
  // A fast path named in the request comes with its cores: one table per fast path below.
  const cores = v.components.filter((c) => c.cores?.length).map((c) => `\n${c.name}: ${c.cores!.length} cores\n${renderCores(c.cores!)}`).join("");
  return `${head}${renderTable(COLUMNS, v.components.map(row), paint)}${cores}`;
}

/** Tab-separated; a fast path named in the request is followed by a blank line and its cores (as on a terminal). */
export function renderStatusPlain(v: StatusView): string {
  const cores = v.components.filter((c) => c.cores?.length).map((c) => `\n${renderCoresTsv(c.cores!)}`).join("");
  return `${renderTsv(COLUMNS, v.components.map(row))}${cores}`;
}

export function renderStatusJson(v: StatusView): string {
  return `${JSON.stringify({ version: 1, monitor: v.monitor, components: v.components }, null, 2)}\n`;
}

/** The monitor's answer as the wire's `<result>` document: valid against docs/hamon-v1.xsd. */
export function renderXml(r: MessageOf<"result">): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${encode({ ...r, more: false })}\n`;
}

export function renderList(v: StatusView): string {
  return v.components.map((c) => `${c.name} ${c.state} ${c.health}\n`).join("");
}
