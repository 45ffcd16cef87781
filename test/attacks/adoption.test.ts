/**
 * Attack: the journal is gone, garbage or stale when a monitor restarts.
 * Owned daemons carry a mark in their environment; the new monitor finds
 * them in /proc and adopts them (never a second copy), and a daemon that
 * died while no monitor ran is a counted failure with an event.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { demoArgv, pidOf, startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
});

const TOML = `[monitor]\nstop_timeout_ms = 500\nstop_on_exit = true\n[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`;

/** Pids of processes marked as svc of the monitor on `sock`. */
function marked(sock: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(`HAMON_MONITOR_OWNER=svc ${sock}`)) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

async function killMonitor(w: Watched): Promise<void> {
  w.proc.kill("SIGKILL");
  await w.proc.exited;
  running.splice(running.indexOf(w), 1);
}

describe("owned daemons without a usable journal", () => {
  test.each([
    ["missing", (p: string) => { rmSync(p, { force: true }); rmSync(`${p}.prev`, { force: true }); }],
    ["garbage", (p: string) => { writeFileSync(p, "garbage"); writeFileSync(`${p}.prev`, "garbage"); }],
  ])("journal %s: the next monitor adopts the running daemon by its mark; restart restarts that one", async (_label, spoil) => {
    const w1 = await startWatched(TOML);
    running.push(w1);
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc ready", 0, 15_000);
    const pid = await pidOf(w1, "svc");
    await killMonitor(w1);
    spoil(join(w1.stateDir, "journal.json"));
    const w2 = await startWatched(TOML, w1.stateDir, w1.sock);
    running.push(w2);
    await until(async () => (await stateOf(w2, "svc")) === "up/ok", "svc re-registered", 15_000, () => w2.stderr());
    expect(await pidOf(w2, "svc")).toBe(pid);
    expect(w2.stderr()).toContain("owned daemon found by its mark");
    expect(marked(w2.sock)).toEqual([pid]); // one copy
    const mark = w2.events.length;
    expect((await w2.cmd("restart", "svc")).type).toBe("result");
    await w2.waitEvent((e) => e.component === "svc" && e.event === "ready", "ready after restart", mark, 15_000);
    await until(() => marked(w2.sock).length === 1 && marked(w2.sock)[0] !== pid, "the adopted copy restarted, no orphan left");
  }, 60_000);

  test("a daemon that died while no monitor ran: an 'exited' event and a counted failure, not an initial start", async () => {
    const w1 = await startWatched(TOML);
    running.push(w1);
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc ready", 0, 15_000);
    const pid = await pidOf(w1, "svc");
    await killMonitor(w1);
    process.kill(-pid, "SIGKILL");
    await until(() => marked(w1.sock).length === 0, "svc gone");
    const w2 = await startWatched(TOML, w1.stateDir, w1.sock);
    running.push(w2);
    await until(async () => (await stateOf(w2, "svc")) === "up/ok", "svc started again", 15_000, () => w2.stderr());
    expect(w2.stderr()).toContain("died while no monitor was running");
    expect(w2.stderr()).not.toContain("initial start");
    const show = await w2.cmd("show", "svc");
    expect(show.type === "result" && show.components[0]!.counters?.failures).toBe(1);
    expect(show.type === "result" && show.components[0]!.restarts).toBe(1);
  }, 60_000);
});
