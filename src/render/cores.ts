/** Per-core heartbeat views as a table (pure). */
import type { CoreStatus } from "../protocol/messages.ts";
import { formatAge } from "./age.ts";

export function renderCores(cores: readonly CoreStatus[]): string {
  const head = ["SLOT", "LCORE", "NAME", "STATE", "VERDICT", "BEAT-AGE"];
  const rows = cores.map((c) => [String(c.slot), String(c.lcore), c.name || "-", c.state, c.verdict, formatAge(c.ageMs)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return `${[line(head), ...rows.map(line)].join("\n")}\n`;
}
