/**
 * Reading and forging journal files (src/monitor/journal.ts format: one JSON
 * line, then a checksum trailer; kept in two slots by journal-slots.ts, or as
 * the record alone in the older layout, which tests forge).
 */
import { readFileSync } from "node:fs";
import { readJournalText } from "../../src/monitor/journal.ts";

/** The JSON body of the newest journal record. */
export function readJournal(path: string): any {
  const text = readJournalText(path);
  if (text === null) throw new Error(`no journal at ${path}`);
  return JSON.parse(text.split("\n")[0]!);
}

/** `body` with a valid trailer: passes the checksum, so what is tested is the content check behind it. */
export function sealJournal(body: string): string {
  return `${body}\n#hamon-journal crc32=${(Bun.hash.crc32(body) >>> 0).toString(16).padStart(8, "0")} bytes=${Buffer.byteLength(body)}\n`;
}

/** A well-formed version 2 body around `over` (the fields a test wants to break). */
export function journalBody(over: Record<string, unknown> = {}): string {
  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  return JSON.stringify({ version: 2, bootId, savedAtMonoMs: 1, savedAtWallMs: Date.now(), pid: 1, seqCeiling: 0, engine: { starvedUntil: 0, components: [] }, components: [], ...over });
}
