/**
 * Diagnostics: one line per event on stderr, in logfmt (`key=value`, quoted
 * only when needed; empty fields left out) so grep, journalctl and log
 * shippers read it:
 *
 *   time=2026-11-30T22:00:00.000Z level=info msg="event recover" component=bgpd recovery=restart-daemon reason="no answer"
 *
 * Under systemd (JOURNAL_STREAM set) `time` is left to journald and the line
 * starts with its `<N>` syslog priority so journald files it at the right
 * level; `--log-format json` is one JSON object per line with every field.
 * A quoted value is JSON-escaped, so peer-supplied text can never forge a
 * second line or a field.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";

const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  (level: LogLevel, msg: string, fields?: Record<string, string | number>): void;
}

export interface LoggerOptions {
  format?: LogFormat;
  minLevel?: LogLevel;
  journal?: boolean;
  write?: (line: string) => void;
  now?: () => Date;
}

/** A logfmt value: bare when it is plain, else a JSON string (quotes, backslashes and controls escaped). */
function logfmtValue(v: string | number): string {
  if (typeof v === "number") return String(v);
  return v === "" || /[\s="\\\u0000-\u001f\u007f]/.test(v) ? JSON.stringify(v) : v;
}

/** Renders one log line (pure, for tests: test/cli/log-format.test.ts pins both formats). */
export function formatLogLine(level: LogLevel, msg: string, fields: Record<string, string | number>, o: Required<Pick<LoggerOptions, "format" | "journal">> & { time: Date }): string {
  // `time`, `level` and `msg` are the line's own: a field of the same name cannot replace them.
  if (o.format === "json") return JSON.stringify({ ...fields, time: o.time.toISOString(), level, msg });
  let line = o.journal ? `<${PRIORITY[level]}>level=${level} msg=${logfmtValue(msg)}` : `time=${o.time.toISOString()} level=${level} msg=${logfmtValue(msg)}`;
  for (const k in fields) {
    const v = fields[k]!;
    if (v === "" || k === "time" || k === "level" || k === "msg") continue;
    line += ` ${k}=${logfmtValue(v)}`;
  }
  return line;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const format = o.format ?? "text";
  const journal = o.journal ?? Boolean(process.env.JOURNAL_STREAM);
  const min = RANK[o.minLevel ?? "info"];
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = o.now ?? (() => new Date());
  return (level, msg, fields = {}) => {
    if (RANK[level] < min) return;
    write(formatLogLine(level, msg, fields, { format, journal, time: now() }));
  };
}
