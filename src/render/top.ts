/**
 * `hamon top`'s screen, pure: the model and the terminal's size in, the
 * frame's lines out (each at most `cols` wide, at most `rows` of them).
 * Top to bottom: the monitor and the node verdict; the components (the
 * troubled ones first, so a small terminal still shows what matters); each
 * fast path's cores; the last events. Ages are shown at a coarse grain
 * (12s, 7m, 3h) so that a steady appliance changes the screen at most once a
 * second, and once a minute after the first two minutes of each age.
 */
import type { ComponentStatus, CoreStatus, MonitorInfo } from "../protocol/messages.ts";
import { colourFor, displayWidth, fitTo, padTo, printable } from "./table.ts";

export interface TopEvent {
  readonly time: number;
  readonly component: string;
  readonly event: string;
  readonly level: string;
  readonly reason: string;
}

export interface TopModel {
  /** null until the first answer. */
  monitor: MonitorInfo | null;
  components: readonly ComponentStatus[];
  /** Each fast path's cores, by fast-path name. */
  cores: ReadonlyMap<string, readonly CoreStatus[]>;
  /** Newest last. */
  events: readonly TopEvent[];
  /** When `monitor`/`components`/`cores` were read (the caller's monotonic clock, ms, as `nowMs`): ages advance from there. */
  readAtMs: number;
  /** "" when connected; else what the screen says about the connection. */
  connection: string;
}

export interface TopSize {
  cols: number;
  rows: number;
}

/** 12s, 7m, 3h, 2d: whole units only, so the text changes rarely. */
export function coarseAge(ms: number): string {
  if (ms < 0) return "-";
  if (ms < 120_000) return `${Math.floor(ms / 1_000)}s`;
  if (ms < 7_200_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

/** Troubled first (down, failed, degraded, starting), then by name: what an operator looks for. */
function rank(c: ComponentStatus): number {
  if (c.state === "down" || c.health === "failed") return 0;
  if (c.health === "degraded" || c.state === "starting") return 1;
  if (c.state === "up") return 3;
  return 2;
}

/** Cut to `w` terminal columns (every cell is made printable first; a wide character counts two). */
const fit = fitTo;

export function renderTop(m: TopModel, size: TopSize, nowMs: number, colour = false): string[] {
  const cols = Math.max(20, size.cols);
  const rows = Math.max(5, size.rows);
  const since = Math.max(0, nowMs - m.readAtMs);
  const paint = (word: string, text: string) => (colour ? colourFor(word)(text) : text);
  const lines: string[] = [];
  // Each line is fitted before colour is added, so escapes never count against the width.
  const push = (text: string, word = "") => lines.push(word ? paint(word, fit(text, cols)) : fit(text, cols));

  const mon = m.monitor;
  const node = mon?.node;
  push(mon ? `hamon top: monitor pid ${mon.pid}, up ${coarseAge(mon.uptimeMs + since)}, ${m.components.length} components${m.connection ? ` — ${m.connection}` : ""}` : `hamon top: ${m.connection || "connecting…"}`);
  if (node) push(`node ${node.health}${node.penalty ? ` (penalty ${node.penalty})` : ""}${node.reason ? `: ${printable(node.reason)}` : ""}`, node.health === "green" ? "ok" : node.health === "yellow" ? "degraded" : "failed");
  else push("node: unknown");
  push("");

  // The body is shared out: events get at least a few lines, cores what they need, components the rest.
  const fastpaths = [...m.cores.entries()];
  const coreLines = fastpaths.reduce((n, [, c]) => n + 1 + Math.ceil(c.length / Math.max(1, Math.floor(cols / 26))), 0);
  const budget = rows - lines.length;
  const eventLines = Math.min(m.events.length + 2, Math.max(3, Math.floor(budget / 4)));
  const compLines = Math.max(2, budget - eventLines - (fastpaths.length ? coreLines + 1 : 0));

  const comps = [...m.components].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const nameW = Math.min(24, Math.max(4, ...comps.map((c) => displayWidth(printable(c.name)))));
  const stateW = Math.max(8, ...comps.map((c) => c.state.length));
  push(`${"NAME".padEnd(nameW)}  ${"STATE".padEnd(stateW)}  ${"HEALTH".padEnd(8)}  ${"RESTARTS".padStart(8)}  ${"AGE".padStart(4)}  REASON`);
  const shown = comps.length > compLines - 1 ? compLines - 2 : comps.length;
  for (const c of comps.slice(0, Math.max(0, shown))) {
    const text = `${padTo(fit(printable(c.name), nameW), nameW)}  ${c.state.padEnd(stateW)}  ${c.health.padEnd(8)}  ${String(c.restarts).padStart(8)}  ${coarseAge(c.ageMs < 0 ? -1 : c.ageMs + since).padStart(4)}  ${printable(c.reason || "")}`;
    push(text, c.state === "up" ? c.health : c.state === "down" ? "down" : c.health === "ok" ? "starting" : c.health);
  }
  if (shown < comps.length) push(`… ${comps.length - shown} more (${comps.filter((c) => c.state === "up" && c.health === "ok").length} up and ok in all)`);

  if (fastpaths.length) {
    push("");
    for (const [name, cores] of fastpaths) {
      const bad = cores.filter((c) => c.verdict !== "ok").length;
      push(`fast path ${printable(name)}: ${cores.length} cores${bad ? `, ${bad} not ok` : ", all ok"}`, bad ? "failed" : "ok");
      const cell = (c: CoreStatus) => {
        // An ok core's beat age is the poll's jitter: only a silent core's age says something, and it grows.
        const age = c.verdict === "ok" ? "" : ` ${coarseAge(c.ageMs + since)}`;
        return padTo(fit(`${c.slot}:${printable(c.name || String(c.lcore))} ${c.verdict}${age}`, 24), 24);
      };
      const perLine = Math.max(1, Math.floor(cols / 26));
      for (let i = 0; i < cores.length; i += perLine) push(cores.slice(i, i + perLine).map(cell).join("  ").trimEnd());
    }
  }

  push("");
  push("LAST EVENTS");
  const room = Math.max(0, rows - lines.length);
  for (const e of m.events.slice(-room)) {
    const t = new Date(e.time).toISOString().slice(11, 19);
    push(`${t}  ${padTo(fit(printable(e.component || "-"), 16), 16)}  ${padTo(printable(e.event), 16)}  ${printable(e.level ? `${e.level}: ${e.reason}` : e.reason)}`);
  }
  return lines.slice(0, rows);
}
