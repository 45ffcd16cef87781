/**
 * Text tables for humans (pure). Cells are made printable first: reasons and
 * names come from peers, and a control character or an ANSI escape in them
 * must not reach the operator's terminal. Colour, when asked for, is applied
 * after padding so it never breaks the alignment.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw that a terminal may act on: DEL, C1 (0x9b is CSI), bidi overrides, line separators. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u{${n.toString(16)}}`;
};

/**
 * The escaping renderer: what a daemon or a peer wrote, made safe for an
 * operator's terminal. C0 controls (ESC, newlines, tabs…), DEL and C1 are
 * shown as \xNN; the bidi overrides and isolates that reorder what is shown
 * (U+202A–202E, U+2066–2069, U+200E/F, U+061C) and the Unicode line
 * separators as \u{NNNN}.
 */
export function printable(s: string): string {
  return s.replace(CONTROL, escape);
}

/** printable for a line of a daemon's log: tabs kept (they only move the cursor right). */
export function printableLine(s: string): string {
  return s.replace(CONTROL_BUT_TAB, escape);
}

/** A JSON text (JSON.stringify's output) with the characters it leaves raw and a terminal would act on written as \uNNNN: still the same JSON. */
export function jsonForTerminal(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Columns a printable string takes on a terminal (a wide CJK character or an emoji takes two). */
export function displayWidth(s: string): number {
  return Bun.stringWidth(s);
}

/** `s` padded with spaces to `w` columns. */
export function padTo(s: string, w: number): string {
  const n = displayWidth(s);
  return n >= w ? s : s + " ".repeat(w - n);
}

/** `s` cut to at most `w` columns (an ellipsis marks the cut). */
export function fitTo(s: string, w: number): string {
  if (displayWidth(s) <= w) return s;
  if (w <= 0) return "";
  let out = "";
  let used = 0;
  for (const ch of s) {
    const cw = displayWidth(ch);
    if (used + cw > w - 1) break;
    out += ch;
    used += cw;
  }
  return `${out}…`;
}

export type Paint = (cell: string, column: number, row: number) => string;

/** Aligned columns, two spaces apart; the last column is not padded. `paint` colours a padded cell. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], paint?: Paint): string {
  const safe = rows.map((r) => r.map(printable));
  const widths = head.map((h, i) => Math.max(displayWidth(h), ...safe.map((r) => displayWidth(r[i]!))));
  const line = (r: readonly string[], row: number) =>
    r.map((c, i) => {
      const padded = i === r.length - 1 ? c : padTo(c, widths[i]!);
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
