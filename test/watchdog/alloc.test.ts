/**
 * Zero allocation in the poll loop, counted, not timed: run 10^6 scans of 128
 * cores in a child with JSC's GC log on and count collections between the
 * markers. An allocation of even a few bytes per scan would trigger eden
 * collections (one per ~8 MB); a control that allocates must show them.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { collectionsBetweenMarkers } from "../helpers/gc-count.ts";

const CHILD = join(import.meta.dir, "..", "fixtures", "scan-alloc.ts");

const collections = (mode: string, scans: number) => collectionsBetweenMarkers(CHILD, [mode, String(scans)]);

test("10^6 scans of 128 cores trigger no garbage collection", () => {
  expect(collections("assessor", 1_000_000)).toBe(0);
}, 60_000);

test("the measurement can fail: a scan that allocates BigInts does trigger collections", () => {
  expect(collections("control", 100_000)).toBeGreaterThan(0);
}, 60_000);
