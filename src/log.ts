/**
 * Diagnostics: one line per event on stderr. Under systemd (JOURNAL_STREAM
 * set) each line starts with its `<N>` syslog priority so journald files it at
 * the right level; `json` format is for log shippers. Peer-supplied text is
 * JSON-escaped in text mode so it can never forge a second log line.
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

/** Renders one log line (pure, for tests). */
export function formatLogLine(level: LogLevel, msg: string, fields: Record<string, string | number>, o: Required<Pick<LoggerOptions, "format" | "journal">> & { time: Date }): string {
  if (o.format === "json") return JSON.stringify({ time: o.time.toISOString(), level, msg, ...fields });
  const kv = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === "number" ? v : JSON.stringify(v)}`).join("");
  const safeMsg = /[\r\n\u0000-\u001f]/.test(msg) ? JSON.stringify(msg) : msg;
  return o.journal ? `<${PRIORITY[level]}>${safeMsg}${kv}` : `${o.time.toISOString()} ${level} ${safeMsg}${kv}`;
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
