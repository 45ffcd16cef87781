/**
 * What the monitor writes to its state directory, besides the journal and
 * events.jsonl (src/events/log.ts):
 * - flight/<time>-<component>.json: the recent samples of every check, dumped
 *   before any recovery above restart-daemon, so the evidence survives the
 *   restart it triggers.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { syncDurable, writeAtomic } from "../sys/atomic.ts";

/** Writes a flight record; returns its path. */
export function writeFlightRecord(stateDir: string, component: string, record: object, wallMs = Date.now()): string {
  const dir = join(stateDir, "flight");
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const stamp = new Date(wallMs).toISOString().replace(/[:.]/g, "-");
  const path = join(dir, `${stamp}-${component}.json`);
  // Crash-safe at once (rename), durable shortly after: the fsyncs run in the thread pool, not on the monitor's loop.
  writeAtomic(path, `${JSON.stringify(record, null, 1)}\n`, 0o640, { durable: false });
  void syncDurable(path).catch(() => {}); // a record that does not survive a power cut is not worth a stalled watchdog
  return path;
}
