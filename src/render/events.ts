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

/** Parses events.jsonl text, skipping torn or foreign lines (a crash can cut the last one). */
export function parseEventLog(text: string): EventLine[] {
  const out: EventLine[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as Partial<EventLine>;
      if (typeof e.time === "number" && typeof e.event === "string") {
        out.push({ seq: e.seq ?? 0, time: e.time, component: String(e.component ?? ""), event: e.event, level: String(e.level ?? ""), reason: String(e.reason ?? "") });
      }
    } catch {
      /* torn line */
    }
  }
  return out;
}
