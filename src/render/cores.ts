/** Per-core heartbeat views as a table (pure). */
import type { CoreStatus } from "../protocol/messages.ts";
import { formatAge } from "./age.ts";
import { renderTable, renderTsv } from "./table.ts";

const HEAD = ["SLOT", "LCORE", "NAME", "STATE", "VERDICT", "BEAT-AGE"];
const row = (c: CoreStatus) => [String(c.slot), String(c.lcore), c.name || "-", c.state, c.verdict, formatAge(c.ageMs)];

export function renderCores(cores: readonly CoreStatus[]): string {
  return renderTable(HEAD, cores.map(row));
}

/** The same, tab-separated (piped output). */
export function renderCoresTsv(cores: readonly CoreStatus[]): string {
  return renderTsv(HEAD, cores.map(row));
}
