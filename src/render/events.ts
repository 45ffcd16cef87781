/** One event per line: a fixed-width human form, or the JSON object (JSON Lines, as in events.jsonl). */
export interface EventLine {
  readonly seq: number;
  readonly time: number;
  readonly component: string;
  readonly event: string;
  readonly level: string;
  readonly reason: string;
}

export function renderEvent(e: EventLine, json: boolean): string {
  if (json) return `${JSON.stringify({ seq: e.seq, time: e.time, component: e.component, event: e.event, level: e.level, reason: e.reason })}\n`;
  const when = new Date(e.time).toISOString();
  return `${when}  ${(e.component || "-").padEnd(16)}  ${e.event.padEnd(18)}  ${(e.level || "-").padEnd(12)}  ${e.reason.replace(/[\r\n]+/g, " ")}\n`;
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
