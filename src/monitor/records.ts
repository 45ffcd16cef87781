/**
 * What the monitor writes to its state directory, besides the journal:
 * - events.jsonl: every event, one JSON object per line, appended (rotated to
 *   events.jsonl.1 past 16 MiB so a flapping component cannot fill the disk);
 * - flight/<time>-<component>.json: the recent samples of every check, dumped
 *   before any recovery above restart-daemon, so the evidence survives the
 *   restart it triggers.
 * And the level hooks: argv commands run with HAMON_COMPONENT, HAMON_LEVEL
 * and HAMON_REASON in their environment.
 */
import { closeSync, mkdirSync, openSync, readSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { appendLine, writeAtomic } from "../sys/atomic.ts";
import { childEnv } from "../security/env.ts";

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

/** Writes a flight record; returns its path. */
export function writeFlightRecord(stateDir: string, component: string, record: object, wallMs = Date.now()): string {
  const dir = join(stateDir, "flight");
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const stamp = new Date(wallMs).toISOString().replace(/[:.]/g, "-");
  const path = join(dir, `${stamp}-${component}.json`);
  writeAtomic(path, `${JSON.stringify(record, null, 1)}\n`);
  return path;
}

export interface HookResult {
  code: number | null;
  how: string;
}

/** Runs a level hook; resolves with how it ended. Never throws (a missing binary is a result). */
export async function runHook(argv: string[], env: { component: string; level: string; reason: string }, timeoutMs: number): Promise<HookResult> {
  let proc: Bun.Subprocess;
  try {
    proc = Bun.spawn(argv, {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: childEnv({ HAMON_COMPONENT: env.component, HAMON_LEVEL: env.level, HAMON_REASON: env.reason }),
    });
  } catch (e) {
    return { code: null, how: `could not start ${argv[0]}: ${(e as Error).message}` };
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }, timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, how: proc.signalCode ? `killed by ${proc.signalCode}` : `exited with status ${code}` };
}
