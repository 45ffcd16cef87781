/**
 * Attack: the state directory fails under the monitor (full disk), the
 * journal is damaged, the clock steps, the monitor is killed and restarted.
 * Nothing may be torn, lost silently or numbered twice.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../src/library/component.ts";
import { encodeJournal, loadJournal, saveJournal } from "../../src/monitor/journal.ts";
import { INITIAL_STATE, type EngineState } from "../../src/engine/decide.ts";
import { kernelMonotonicMs } from "../../src/sys/libc.ts";
import { writeAtomic } from "../../src/sys/atomic.ts";
import { journalBody, readJournal, sealJournal } from "../helpers/journal.ts";
import { demoArgv, pidOf, startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";
import { alive } from "../helpers/wait.ts";

const running: Watched[] = [];
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const f of cleanup.splice(0)) await f();
});

/** A tmpfs of `kib` KiB (root only; CI runs as root). */
function smallDisk(kib: number): string {
  const dir = mkdtempSync(join(tmpdir(), "hamon-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k,mode=0750`, "tmpfs", dir]);
  cleanup.push(() => execFileSync("umount", ["-l", dir]));
  return dir;
}

/** Fills `dir`'s file system completely; returns the filler's path. */
function fill(dir: string): string {
  const p = join(dir, "filler");
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${p}`, "bs=4k"], { stdio: "ignore" });
  } catch {
    /* ENOSPC is the point */
  }
  return p;
}


describe("a full state directory", () => {
  test("no torn line, no torn journal; failing said once and as an event, losses counted; recovery said; a restarted monitor has everything", async () => {
    const state = smallDisk(1024);
    const toml = `[monitor]\nstop_timeout_ms = 500\n[defaults]\ngrace_ms = 100\n[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`;
    const w1 = await startWatched(toml, state);
    running.push(w1);
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc ready", 0, 15_000);
    const comps: Component[] = [];
    for (let i = 0; i < 40; i++) {
      const c = new Component({ name: `c${i}`, socket: w1.sock, beacon: false });
      comps.push(c);
      await c.start();
    }
    cleanup.push(() => Promise.all(comps.map((c) => c.stop())));
    await until(() => existsSync(join(state, "journal.json")) && readJournal(join(state, "journal.json")).components.length === 41, "41 journaled");
    const svc1 = await pidOf(w1, "svc");
    process.kill(svc1, "SIGKILL");
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready" && e.reason.includes("registered"), "svc restarted", w1.events.findIndex((e) => e.event === "exited") + 1, 15_000);
    await until(() => readJournal(join(state, "journal.json")).components.find((c: { name: string }) => c.name === "svc")?.restarts === 1, "restart journaled");

    const filler = fill(state);
    const mark = w1.events.length;
    const svc2 = await pidOf(w1, "svc");
    process.kill(svc2, "SIGKILL"); // events and a journal write that cannot be persisted
    await w1.waitEvent((e) => e.event === "persistence-failed", "persistence-failed event", mark, 10_000);
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc restarted on a full disk", mark, 15_000);
    const st = await w1.cmd("status");
    expect(st.type).toBe("result");
    if (st.type === "result") {
      expect(st.monitor?.persistence?.eventsLost).toBeGreaterThan(0);
      expect(st.monitor?.persistence?.failing).toContain("events");
    }
    // Said once per target, not once per write.
    expect(w1.stderr().split("\n").filter((l) => l.includes("persistence failing") && l.includes("target=\"events\"") || l.includes("persistence failing") && l.includes("target=events")).length).toBe(1);
    // Every line whole; the journal on disk is a good one (the previous), not a cut one.
    for (const line of readFileSync(join(state, "events.jsonl"), "utf8").split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(loadJournal(join(state, "journal.json")).ok).toBe(true);
    expect(readdirSync(state).filter((f) => f.includes(".tmp."))).toEqual([]);

    rmSync(filler);
    const mark2 = w1.events.length;
    await comps[0]!.stop();
    await w1.waitEvent((e) => e.event === "persistence-recovered", "persistence-recovered event", mark2, 10_000);
    await until(() => readJournal(join(state, "journal.json")).components.find((c: { name: string }) => c.name === "svc")?.restarts === 2, "journal caught up");
    const lastSeq1 = Math.max(...w1.events.map((e) => e.seq));

    // kill -9, then a new monitor on the same state: counters kept, the daemon adopted, numbering continues.
    const svc3 = await pidOf(w1, "svc");
    w1.proc.kill("SIGKILL");
    await w1.proc.exited;
    running.splice(running.indexOf(w1), 1);
    const w2 = await startWatched(toml, state, w1.sock);
    running.push(w2);
    await until(async () => (await stateOf(w2, "svc")) === "up/ok", "svc back", 15_000, () => w2.stderr());
    expect(await pidOf(w2, "svc")).toBe(svc3);
    expect(alive(svc3)).toBe(true);
    const show = await w2.cmd("show", "svc");
    expect(show.type === "result" && show.components[0]!.restarts).toBe(2);
    expect(Math.min(...w2.events.map((e) => e.seq))).toBeGreaterThan(lastSeq1);
    const seqs = readFileSync(join(state, "events.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).seq as number);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
  }, 90_000);
});

describe("a full disk loses no counter (issue 27, 21)", () => {
  test("restarted while the disk is full, then the monitor killed -9 (disk still full): the next monitor has the restart count", async () => {
    const state = smallDisk(1024);
    const toml = `[monitor]\nstop_timeout_ms = 500\n[defaults]\ngrace_ms = 100\n[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`;
    const w1 = await startWatched(toml, state);
    running.push(w1);
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc ready", 0, 15_000);
    await until(() => existsSync(join(state, "journal.json")), "journaled");
    fill(state);
    const mark = w1.events.length;
    process.kill(await pidOf(w1, "svc"), "SIGKILL");
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc restarted on a full disk", mark, 15_000);
    // Written in place into the slot that was not the newest: no new block needed.
    await until(() => readJournal(join(state, "journal.json")).components.find((c: { name: string }) => c.name === "svc")?.restarts === 1, "the restart journaled on the full disk", 5_000);
    const svc = await pidOf(w1, "svc");
    w1.proc.kill("SIGKILL");
    await w1.proc.exited;
    running.splice(running.indexOf(w1), 1);
    const w2 = await startWatched(toml, state, w1.sock);
    running.push(w2);
    await until(async () => (await stateOf(w2, "svc")) === "up/ok", "svc adopted", 15_000, () => w2.stderr());
    expect(await pidOf(w2, "svc")).toBe(svc);
    const show = await w2.cmd("show", "svc");
    expect(show.type === "result" && show.components[0]!.restarts).toBe(1);
  }, 60_000);

  test("a torn slot (the newest) falls back to the other: the previous journal", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-slots-"));
    const p = join(dir, "journal.json");
    const rec = { name: "svc", active: true, quarantined: false, restarts: 1, pid: 0, startTime: 0 };
    saveJournal(p, INITIAL_STATE, [rec], 10);
    saveJournal(p, INITIAL_STATE, [{ ...rec, restarts: 2 }], 20);
    const first = loadJournal(p);
    expect(first.ok === true && first.data.components[0]!.restarts).toBe(2);
    // Tear the newest record (the second slot) in the middle.
    const buf = readFileSync(p);
    buf[buf.length / 2 + 40]! ^= 0xff;
    writeFileSync(p, buf);
    const j = loadJournal(p);
    expect(j.ok).toBe(true);
    if (j.ok === true) {
      expect(j.data.components[0]!.restarts).toBe(1);
      expect(j.from).toContain("previous slot");
    }
  });
});

describe("journal", () => {
  const engineWith = (c: Partial<EngineState["components"] extends ReadonlyMap<string, infer V> ? V : never>): EngineState => ({
    ...INITIAL_STATE,
    components: new Map([["svc", { failures: [], recoveries: [], graceUntil: 0, healthySince: null, quarantined: false, streak: 0, flapping: false, ...c }]]),
  });
  const rec = { name: "svc", active: true, quarantined: false, restarts: 3, pid: 4242, startTime: 99 };

  test("a cut journal is detected, and the previous good one is used", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-j-"));
    const p = join(dir, "journal.json");
    writeAtomic(p, encodeJournal(engineWith({ failures: [performance.now()] }), [{ ...rec, restarts: 1 }], 1000), 0o640, { keepPrevious: `${p}.prev` });
    writeAtomic(p, encodeJournal(engineWith({ failures: [performance.now()] }), [{ ...rec, restarts: 2 }], 2000), 0o640, { keepPrevious: `${p}.prev` });
    truncateSync(p, 40);
    const j = loadJournal(p);
    expect(j.ok).toBe(true);
    if (j.ok === true) {
      expect(j.from).toContain("journal.json.prev");
      expect(j.data.components[0]!.restarts).toBe(1);
    }
    rmSync(p);
    expect(loadJournal(p).ok).toBe(true); // absent current: the previous
  });

  test("times are CLOCK_MONOTONIC, not wall clock: a wall-clock step between save and load changes nothing; grace is clamped", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-j-"));
    const p = join(dir, "journal.json");
    const now = performance.now();
    writeFileSync(p, encodeJournal(engineWith({ failures: [now - 1_000], graceUntil: now + 5_000 }), [rec], 0));
    // Forge the wall clock an hour off: the loader must not care.
    const body = JSON.parse(readFileSync(p, "utf8").split("\n")[0]!);
    body.savedAtWallMs += 3_600_000;
    writeFileSync(p, sealJournal(JSON.stringify(body)));
    const j = loadJournal(p, () => 10_000);
    expect(j.ok).toBe(true);
    if (j.ok !== true) return;
    const c = j.data.engine.components.get("svc")!;
    expect(Math.abs(c.failures[0]! - (now - 1_000))).toBeLessThan(50);
    expect(Math.abs(c.graceUntil - (now + 5_000))).toBeLessThan(50);
    // A grace far longer than the policy allows (a journal written with a clock an hour ahead, or forged) is clamped.
    body.engine.components[0].graceUntil = kernelMonotonicMs() + 3_600_000;
    body.engine.components[0].failures = [kernelMonotonicMs() + 3_600_000];
    writeFileSync(p, sealJournal(JSON.stringify(body)));
    const k = loadJournal(p, () => 10_000);
    expect(k.ok).toBe(true);
    if (k.ok !== true) return;
    const d = k.data.engine.components.get("svc")!;
    expect(d.graceUntil).toBeLessThanOrEqual(performance.now() + 10_000);
    expect(d.failures[0]!).toBeLessThanOrEqual(performance.now()); // never in the future
  });

  test("a journal from another boot: history and grace dropped, quarantine and counts kept, pids not adopted", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-j-"));
    const p = join(dir, "journal.json");
    writeFileSync(p, sealJournal(journalBody({
      bootId: "00000000-0000-0000-0000-000000000000",
      engine: { starvedUntil: 0, components: [{ name: "svc", failures: [5, 6], recoveries: [5], graceUntil: 10, healthySince: null, quarantined: true }] },
      components: [rec],
    })));
    const j = loadJournal(p);
    expect(j.ok).toBe(true);
    if (j.ok !== true) return;
    expect(j.data.timesDropped).toContain("another boot");
    expect(j.data.engine.components.get("svc")).toMatchObject({ failures: [], recoveries: [], graceUntil: 0, quarantined: true });
    expect(j.data.components[0]).toMatchObject({ restarts: 3, pid: 0 });
  });
});
