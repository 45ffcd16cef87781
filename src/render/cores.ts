/** Per-core heartbeat views as a table (pure). */
import type { CoreStatus } from "../protocol/messages.ts";
import { formatAge } from "./age.ts";
import { renderTable } from "./table.ts";

export function renderCores(cores: readonly CoreStatus[]): string {
  return renderTable(
    ["SLOT", "LCORE", "NAME", "STATE", "VERDICT", "BEAT-AGE"],
    cores.map((c) => [String(c.slot), String(c.lcore), c.name || "-", c.state, c.verdict, formatAge(c.ageMs)]),
  );
}
