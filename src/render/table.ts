/**
 * Text tables for humans (pure). Cells are made printable first: reasons and
 * names come from peers, and a control character or an ANSI escape in them
 * must not reach the operator's terminal. Colour, when asked for, is applied
 * after padding so it never breaks the alignment.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters (C0, DEL, C1: newlines, ESC…) shown as \xNN. */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export type Paint = (cell: string, column: number, row: number) => string;

/** Aligned columns, two spaces apart; the last column is not padded. `paint` colours a padded cell. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], paint?: Paint): string {
  const safe = rows.map((r) => r.map(printable));
  const widths = head.map((h, i) => Math.max(h.length, ...safe.map((r) => r[i]!.length)));
  const line = (r: readonly string[], row: number) =>
    r.map((c, i) => {
      const padded = i === r.length - 1 ? c : c.padEnd(widths[i]!);
      return paint && row >= 0 ? paint(padded, i, row) : padded;
    }).join("  ").trimEnd();
  return `${[line(head, -1), ...safe.map(line)].join("\n")}\n`;
}

/** One row per line, fields separated by a tab (tabs and newlines inside a field escaped): for cut, awk -F'\t', spreadsheets. */
export function renderTsv(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [head, ...rows].map((r) => r.map(printable).join("\t")).join("\n") + "\n";
}

const SGR = { red: "\u001b[31m", yellow: "\u001b[33m", green: "\u001b[32m", reset: "\u001b[0m" } as const;

/** Colours a state or health word the way operators read them: red bad, yellow attention, green fine. */
export function colourFor(word: string): (s: string) => string {
  const w = word.trim();
  const c = ["down", "failed", "quarantined"].includes(w) ? SGR.red
    : ["degraded", "starting", "suspect"].includes(w) ? SGR.yellow
    : ["up", "ok"].includes(w) ? SGR.green : "";
  return c ? (s) => `${c}${s}${SGR.reset}` : (s) => s;
}
