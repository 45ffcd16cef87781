/**
 * `hamon show NAME` for humans (pure): the component's row, what the engine
 * remembers and would do next, its checks with their recent samples, its
 * recent events (the decisions and what led to them), and a fast path's cores.
 */
import type { ComponentStatus, MonitorInfo } from "../protocol/messages.ts";
import { formatAge } from "./age.ts";
import { renderCores } from "./cores.ts";
import { colourFor, printable, renderTable } from "./table.ts";

export function renderShow(c: ComponentStatus, monitor: MonitorInfo | null, colour = false): string {
  const paint = (w: string) => (colour ? colourFor(w)(w) : w);
  const out: string[] = [];
  // A daemon that never registers is never "heard": its AGE is how long its process has run.
  const plain = c.counters?.registers === false;
  const age = plain ? (c.ageMs < 0 ? "not running" : `running for ${formatAge(c.ageMs)}`) : `last heard ${c.ageMs < 0 ? "never" : `${formatAge(c.ageMs)} ago`}`;
  out.push(`${c.name}  ${c.kind} ${c.plane}  ${paint(c.state)} ${paint(c.health)}  pid ${c.pid || "-"}  ${age}`);
  if (c.reason) out.push(`reason: ${printable(c.reason)}`);
  const n = c.counters;
  if (n) {
    out.push(`counters: ${plain ? `ready ${n.registrations} time(s)` : `registrations ${n.registrations}`}, restarts ${n.restarts}${n.collateral ? ` (+${n.collateral} for others)` : ""}, failures ${n.failures}, recoveries ${n.recoveries}, grace left ${formatAge(n.graceMs)}, quarantined ${n.quarantined ? "yes" : "no"}`);
    out.push(`on the next failure: ${printable(n.next)}`);
  }
  if (c.checks?.length) {
    out.push("", "CHECKS (samples oldest → newest: + ok, x failed)");
    const rows = c.checks.map((k) => {
      const lastBad = [...k.samples].reverse().find((s) => !s.ok);
      return [k.name, k.mode, formatAge(k.periodMs), k.failed ? "failed" : "ok", k.samples.map((s) => (s.ok ? "+" : "x")).join("") || "-", lastBad ? `${formatAge(lastBad.agoMs)} ago: ${lastBad.reason}` : "-"];
    });
    out.push(renderTable(["NAME", "MODE", "PERIOD", "STATE", "RECENT", "LAST FAILURE"], rows).trimEnd());
  }
  if (c.recent?.length) {
    out.push("", "RECENT EVENTS");
    out.push(renderTable(["TIME", "EVENT", "LEVEL", "REASON"], c.recent.map((e) => [new Date(e.time).toISOString(), e.event, e.level || "-", e.reason || "-"])).trimEnd());
  }
  if (c.cores?.length) out.push("", `CORES (${c.cores.length})`, renderCores(c.cores).trimEnd());
  if (monitor) out.push("", `monitor pid ${monitor.pid}, version ${printable(monitor.version)}, up ${formatAge(monitor.uptimeMs)}`);
  return `${out.join("\n")}\n`;
}
