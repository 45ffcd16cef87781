/**
 * The journal's two speeds: every write is crash-safe at once (rename; a
 * monitor started after a kill -9 reads it), and made durable by one fsync in
 * the thread pool shortly after, one for a whole burst; stop() is durable.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INITIAL_STATE } from "../../src/engine/decide.ts";
import { JournalWriter, type JournalSource } from "../../src/monitor/journal-writer.ts";
import { loadJournal } from "../../src/monitor/journal.ts";
import type { Supervisor } from "../../src/process/supervisor.ts";
import { syncDurable } from "../../src/sys/atomic.ts";
import { until } from "../helpers/wait.ts";

const src: JournalSource = {
  engine: INITIAL_STATE,
  entries: () => [],
  sup: { owns: () => false } as unknown as Supervisor,
  seqCeiling: () => 7,
  stopped: false,
  quarantinedOf: () => false,
};

function writer(sync: (p: string) => Promise<void>) {
  const path = join(mkdtempSync(join(tmpdir(), "hamon-jw-")), "journal.json");
  const logged: string[] = [];
  const after = (ms: number, fn: () => void) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  };
  return { path, logged, w: new JournalWriter(path, src, null, (_l, msg) => logged.push(msg), after, sync) };
}

describe("journal writer", () => {
  test("a forced write is readable at once; a burst of 20 writes is made durable by one fsync, none on the caller's path", async () => {
    const synced: string[] = [];
    const { path, w } = writer(async (p) => {
      synced.push(p);
      await syncDurable(p);
    });
    for (let i = 0; i < 20; i++) w.flush(true);
    expect(loadJournal(path).ok).toBe(true); // crash-safe already: what a monitor started after a kill -9 reads
    expect(w.unsyncedWrites).toBe(20);
    expect(synced).toEqual([]); // nothing fsynced on the caller's path
    await until(() => w.unsyncedWrites === 0, "the burst made durable");
    expect(synced).toEqual([path]); // one fsync for the 20 writes: coalesced
  });

  test("a write during a running sync gets a sync of its own after it", async () => {
    let release = () => {};
    let calls = 0;
    const { w } = writer(() => {
      calls++;
      return new Promise<void>((r) => (release = r));
    });
    w.flush(true);
    await until(() => calls === 1, "the first sync started");
    w.flush(true);
    release();
    await until(() => calls === 2, "a second sync for the write made meanwhile");
    release();
    await until(() => w.unsyncedWrites === 0, "all durable");
  });

  test("a failing fsync is said, and tried again with the next write; close() writes durably at once", async () => {
    let fail = true;
    const { path, logged, w } = writer(async (p) => {
      if (fail) throw new Error("EIO");
      await syncDurable(p);
    });
    w.flush(true);
    await until(() => logged.includes("journal fsync failed"), "the failure said");
    expect(w.unsyncedWrites).toBe(1);
    fail = false;
    w.flush(true);
    await until(() => w.unsyncedWrites === 0, "durable after the next write");
    w.flush(true);
    w.close();
    expect(w.unsyncedWrites).toBe(0);
    const j = loadJournal(path);
    expect(j.ok === true && j.data.seqCeiling).toBe(7);
  });
});
