/**
 * events.jsonl, the monitor's event log in its state directory: every event,
 * one JSON object per line (the `event` message's fields), appended whole or
 * not at all, rotated to events.jsonl.1 past 16 MiB so a flapping component
 * cannot fill the disk. Read back by `hamon events` (post-mortem, with the
 * monitor down) and by a starting monitor (to number its events above).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { appendLine } from "../sys/atomic.ts";
import { parseEventLog, type EventLine } from "../render/events.ts";

export const EVENT_LOG_MAX_BYTES = 16 * 1024 * 1024;

export class EventLog {
  private bytes = -1;

  constructor(readonly path: string) {}

  append(record: object): void {
    const line = `${JSON.stringify(record)}\n`;
    try {
      if (this.bytes < 0) this.bytes = sizeOf(this.path);
      if (this.bytes + line.length > EVENT_LOG_MAX_BYTES) {
        renameSync(this.path, `${this.path}.1`);
        this.bytes = 0;
      }
      this.bytes += appendLine(this.path, line); // whole or not at all

    } catch (e) {
      // The state dir may be read-only or full: events still reach subscribers and the log.
      this.bytes = -1;
      throw e;
    }
  }
}

/** The highest `seq` among the last events of events.jsonl (0 when none): a new monitor numbers above it. */
export function lastLoggedSeq(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return 0;
  }
  try {
    const size = statSync(path).size;
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    const n = readSync(fd, buf, 0, buf.length, size - buf.length);
    let max = 0;
    for (const m of buf.subarray(0, n).toString("utf8").matchAll(/"seq":(\d{1,15})[,}]/g)) max = Math.max(max, Number(m[1]));
    return max;
  } catch {
    return 0;
  } finally {
    closeSync(fd);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The last `n` events of `stateDir`'s log (reaching into the rotated file when needed), and the lines that were not events. */
export function readEventLog(stateDir: string, n: number): { events: EventLine[]; bad: { file: string; lines: number[] }[] } | null {
  const path = join(stateDir, "events.jsonl");
  if (!existsSync(path)) return null;
  const cur = parseEventLog(readFileSync(path, "utf8"));
  const bad = cur.bad.length ? [{ file: path, lines: cur.bad }] : [];
  let events = cur.events;
  // Just rotated (at 16 MiB): the rest comes from the previous file.
  if (events.length < n && existsSync(`${path}.1`)) {
    const old = parseEventLog(readFileSync(`${path}.1`, "utf8"));
    if (old.bad.length) bad.push({ file: `${path}.1`, lines: old.bad });
    events = [...old.events, ...events];
  }
  return { events: events.slice(-n), bad };
}
