/**
 * 10,000 fuzzed heartbeat files through the real path (open O_RDONLY, mmap
 * PROT_READ, validate, scan): zero crashes or exceptions, and every rejection
 * carries a specific reason. Seeds are valid files written by the C writer.
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync, renameSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeartbeatWatch, type WatchEvent } from "../../src/watchdog/watch.ts";
import { startSim, tmpPath } from "../helpers/hbsim.ts";

const FILES = 10_000;
let seed = 0x9e3779b9;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 0x100000000);

test(`${FILES} fuzzed files: no crash, a specific reason for each rejection`, async () => {
  const seeds: Uint8Array[] = [];
  for (const n of [1, 8, 31]) {
    const p = tmpPath();
    const sim = await startSim(p, n, { plain: true, paceUs: 1000 });
    seeds.push(new Uint8Array(readFileSync(p)));
    await sim.send("quit");
  }
  const dir = mkdtempSync(join(tmpdir(), "hamon-hbfuzz-"));
  const reasons = new Map<string, number>();
  let accepted = 0;
  let corruptSlots = 0;
  for (let k = 0; k < FILES; k++) {
    const buf = Uint8Array.from(seeds[k % seeds.length]!);
    const flips = 1 + Math.floor(rand() * 8);
    for (let f = 0; f < flips; f++) {
      // Biased toward the header, where mistakes matter most.
      const at = rand() < 0.6 ? Math.floor(rand() * 256) : Math.floor(rand() * buf.length);
      buf[at] = Math.floor(rand() * 256);
    }
    let data: Uint8Array = buf;
    if (rand() < 0.05) data = buf.subarray(0, Math.floor(rand() * buf.length)); // short file
    const path = join(dir, `f${k}`);
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
    const events: WatchEvent[] = [];
    const w = new HeartbeatWatch(path, { suspectMs: 50, deadMs: 250, idleSlackMs: 50, pollMs: 10 }, (e) => events.push(e));
    w.poll(0);
    w.poll(10);
    w.close();
    const invalid = events.find((e) => e.verdict === "invalid");
    if (invalid) {
      expect(invalid.reason.length).toBeGreaterThan(8);
      const key = invalid.reason.replace(/[0-9]+/g, "N");
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    } else {
      expect(events[0]?.verdict).toBe("attached");
      accepted++;
      corruptSlots += events.filter((e) => e.verdict === "corrupt").length;
    }
  }
  const rejected = [...reasons.values()].reduce((a, b) => a + b, 0);
  expect(accepted + rejected).toBe(FILES);
  expect(rejected).toBeGreaterThan(FILES / 4);
  expect(accepted).toBeGreaterThan(FILES / 10);
  console.log(`heartbeat fuzz: ${FILES} files, ${accepted} accepted (${corruptSlots} slots flagged corrupt), ${rejected} rejected:`);
  for (const [r, n] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(5)}  ${r}`);
}, 120_000);
