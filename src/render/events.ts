import { jsonForTerminal, padTo, printable } from "./table.ts";

/** One event per line: a fixed-width human form, or the JSON object (JSON Lines, as in events.jsonl). */
export interface EventLine {
  readonly seq: number;
  readonly time: number;
  readonly component: string;
  readonly event: string;
  readonly level: string;
  readonly reason: string;
}

/** Every field a peer or daemon supplied goes through the escaping renderer (table.ts), in both forms. */
export function renderEvent(e: EventLine, json: boolean): string {
  if (json) return `${jsonForTerminal(JSON.stringify({ seq: e.seq, time: e.time, component: e.component, event: e.event, level: e.level, reason: e.reason }))}\n`;
  const when = Number.isFinite(e.time) ? new Date(e.time).toISOString() : "-";
  return `${when}  ${padTo(printable(e.component || "-"), 16)}  ${padTo(printable(e.event), 18)}  ${padTo(printable(e.level || "-"), 12)}  ${printable(e.reason)}\n`;
}

/**
 * Parses events.jsonl text. A line that is not an event (torn by a crash,
 * written by something else) is not skipped silently: its 1-based line number
 * is listed in `bad`, for the reader to report.
 */
export function parseEventLog(text: string): { events: EventLine[]; bad: number[] } {
  const events: EventLine[] = [];
  const bad: number[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    try {
      const e = JSON.parse(line) as Partial<EventLine>;
      if (typeof e.time === "number" && typeof e.event === "string") {
        events.push({ seq: e.seq ?? 0, time: e.time, component: String(e.component ?? ""), event: e.event, level: String(e.level ?? ""), reason: String(e.reason ?? "") });
        continue;
      }
    } catch {
      /* reported below */
    }
    bad.push(i + 1);
  }
  return { events, bad };
}

/** "FILE: N line(s) not an event, skipped (line a, b, …)". */
export function renderBadLines(file: string, lines: readonly number[]): string {
  return `${file}: ${lines.length} line(s) not an event, skipped (line ${lines.slice(0, 5).join(", ")}${lines.length > 5 ? ", …" : ""})`;
}
