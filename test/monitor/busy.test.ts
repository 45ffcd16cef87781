/**
 * Busy versus hung, on real processes: a daemon that burns a CPU for 8 s
 * without answering its probe is busy (degraded, never restarted) and ok
 * again when it is done; SIGSTOPped, it is hung at its first silent check and
 * restarted; blocked with no CPU (a deadlock) it is hung one look later; busy
 * past busy_max_ms it is restarted. The same for a component that links the
 * library and leaves its queries unanswered. And the verdict itself, pure.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BLOCKED_MAX_MS, hungAtOnce, judgeStall } from "../../src/engine/stall.ts";
import { freePort } from "../helpers/port.ts";
import { pidOf, startWatched, stateOf, until, type Ev, type Watched } from "../helpers/watched.ts";

const TOILER = join(import.meta.dir, "..", "fixtures", "toiler.ts");
const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close().catch(() => 0);
});

const code = (c: string) => c.charCodeAt(0);

describe("the verdict (pure)", () => {
  test("CPU advancing is busy; none is hung; stopped or dead is hung at once; D is busy only for a while; busy ends at busy_max_ms", () => {
    const look = (ticks: number, state: string, atMs: number) => ({ cpuTicks: ticks, state: code(state), atMs });
    expect(judgeStall(look(100, "R", 0), look(120, "R", 200), Infinity, 300_000, 200)).toEqual({ busy: true, reason: expect.stringMatching(/^busy: 100 % of a CPU in 200 ms; not answering for 0\.2 s, restarted after busy_max_ms 300 s$/) });
    // A sleeping daemon that used a stray tick: under 10 % of a CPU is no work.
    expect(judgeStall(look(100, "S", 0), look(101, "S", 200), Infinity, 300_000, 200).busy).toBe(false);
    expect(judgeStall(look(100, "S", 0), look(100, "S", 200), Infinity, 300_000, 200).reason).toBe("hung: no CPU progress in 200 ms (state S)");
    expect(hungAtOnce(code("T"))).toContain("stopped (state T)");
    expect(hungAtOnce(code("t"))).toContain("stopped (state t)");
    expect(hungAtOnce(code("Z"))).toContain("dead");
    expect(hungAtOnce(code("S"))).toBeNull();
    expect(judgeStall(look(100, "D", 0), look(100, "D", 200), Infinity, 300_000, 200).busy).toBe(true);
    // Runnable but given no CPU (a loaded machine): waiting, not hung.
    expect(judgeStall(look(100, "R", 0), look(100, "R", 200), Infinity, 300_000, 200).reason).toMatch(/^busy: runnable, waiting for a CPU \(0 % of one in 200 ms\)/);
    expect(judgeStall(look(100, "D", 0), look(100, "D", 200), 0, 300_000, BLOCKED_MAX_MS + 1).reason).toMatch(/^hung: no CPU progress/);
    // Asleep with no CPU right after work (an episode under way, or runnable at the first look): its work may have ended
    // inside the look and the silent check been sent while it worked. Busy once ("its work ended"); hung at the next idle look.
    const ended = judgeStall(look(100, "S", 5_000), look(100, "S", 5_200), 1_000, 300_000, 5_200);
    expect(ended).toEqual({ busy: true, idle: true, reason: "busy: its work ended (no CPU progress in 200 ms (state S)); not answering for 4.2 s, hung if still silent and idle at its next check" });
    expect(judgeStall(look(100, "R", 0), look(100, "S", 200), Infinity, 300_000, 200)).toMatchObject({ busy: true, idle: true });
    expect(judgeStall(look(100, "S", 6_000), look(100, "S", 6_200), 1_000, 300_000, 6_200, true)).toEqual({ busy: false, reason: "hung: no CPU progress in 200 ms (state S), again after its work ended" });
    // Never past busy_max_ms, never for a process blocked (D) past BLOCKED_MAX_MS.
    expect(judgeStall(look(100, "S", 9_800), look(100, "S", 10_000), 0, 10_000, 10_000).busy).toBe(false);
    // Busy since 0: at busy_max_ms it is hung, however hard it works.
    const past = judgeStall(look(100, "R", 9_800), look(120, "R", 10_000), 0, 10_000, 10_000);
    expect(past.busy).toBe(false);
    expect(past.reason).toMatch(/^hung: busy for 10 s, past busy_max_ms 10 s \(100 % of a CPU in 200 ms\)$/);
  });
});

/** Events of `name` from index `from`. */
const of = (w: Watched, name: string, from = 0) => w.events.slice(from).filter((e: Ev) => e.component === name);

function plainToiler(port: number, extra = ""): string {
  return `[defaults]\ngrace_ms = 0\n[[component]]\nname = "toiler"\nplane = "system"\nstart = ${JSON.stringify([process.execPath, TOILER, String(port), "8000"])}\nready = "probe"\n${extra}[[component.check]]\nname = "pong"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${port}"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 1000\ntimeout_ms = 500\n`;
}

/** A monitor owning one toiler (a plain daemon), once it is ready: the monitor and the toiler's pid. */
async function readyToiler(extra = ""): Promise<{ w: Watched; pid: number }> {
  const w = await startWatched(plainToiler(freePort(), extra));
  running.push(w);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "ready", "ready", 0, 20_000);
  return { w, pid: await pidOf(w, "toiler") };
}

test("a plain daemon busy for 8 s is not restarted; SIGSTOPped it is hung at its first silent check; blocked with no CPU it is hung a look later", async () => {
  const { w, pid } = await readyToiler();
  // Busy: 8 s of CPU, no answer.
  let from = w.events.length;
  process.kill(pid, "SIGUSR1");
  const busy = await w.waitEvent((e) => e.component === "toiler" && e.event === "busy", "busy", from, 10_000);
  expect(busy.reason).toMatch(/^busy: \d+ % of a CPU in \d+ ms; .*; check 'pong'/);
  expect(await stateOf(w, "toiler")).toBe("up/degraded");
  await w.waitEvent((e) => e.component === "toiler" && e.event === "check-ok", "ok again after the work", from, 20_000);
  expect(of(w, "toiler", from).filter((e) => ["recover", "exited", "check-failed", "restarting"].includes(e.event))).toEqual([]);
  expect(await pidOf(w, "toiler")).toBe(pid);
  expect(await stateOf(w, "toiler")).toBe("up/ok");

  // Hung: stopped. Failed at its first silent check, without a busy verdict first.
  from = w.events.length;
  const t0 = performance.now();
  process.kill(pid, "SIGSTOP");
  const failed = await w.waitEvent((e) => e.component === "toiler" && e.event === "check-failed", "hung", from, 10_000);
  expect(failed.reason).toContain("hung: stopped (state T)");
  const rec = await w.waitEvent((e) => e.component === "toiler" && e.event === "recover", "restarted", from, 10_000);
  console.log(`SIGSTOP → restart-daemon: ${Math.round(performance.now() - t0)} ms (a 1 s probe, 500 ms timeout)`);
  expect(rec.level).toBe("restart-daemon");
  expect(of(w, "toiler", from).filter((e) => e.event === "busy")).toEqual([]);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "ready", "ready again", w.events.indexOf(rec), 20_000);

  // Hung: blocked with no CPU (a deadlock), one look later.
  const pid2 = await pidOf(w, "toiler");
  expect(pid2).not.toBe(pid);
  from = w.events.length;
  process.kill(pid2, "SIGUSR2");
  const hung = await w.waitEvent((e) => e.component === "toiler" && e.event === "check-failed", "hung", from, 10_000);
  expect(hung.reason).toMatch(/hung: no CPU progress in \d+ ms \(state S\)/);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "recover", "restarted", from, 10_000);
  expect(of(w, "toiler", from).filter((e) => e.event === "busy")).toEqual([]);
}, 90_000);

test("work, then a deadlock: busy while it works, one idle look forgiven as its work's end, hung at the next", async () => {
  const { w, pid } = await readyToiler();
  const from = w.events.length;
  process.kill(pid, "SIGUSR1"); // 8 s of CPU,
  await w.waitEvent((e) => e.component === "toiler" && e.event === "busy", "busy", from, 10_000);
  process.kill(pid, "SIGUSR2"); // then 8 s blocked with none: its handler runs once the work is done
  const failed = await w.waitEvent((e) => e.component === "toiler" && e.event === "check-failed", "hung after the work", from, 20_000);
  expect(failed.reason).toMatch(/hung: no CPU progress in \d+ ms \(state S\), again after its work ended$/);
  expect(of(w, "toiler", from).filter((e) => e.event === "check-ok")).toEqual([]);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "recover", "restarted", from, 10_000);
}, 90_000);

test("busy past busy_max_ms is restarted, the reason says so", async () => {
  const { w, pid } = await readyToiler("busy_max_ms = 2500\n");
  const from = w.events.length;
  process.kill(pid, "SIGUSR1");
  await w.waitEvent((e) => e.component === "toiler" && e.event === "busy", "busy", from, 10_000);
  const failed = await w.waitEvent((e) => e.component === "toiler" && e.event === "check-failed", "past busy_max_ms", from, 10_000);
  expect(failed.reason).toMatch(/hung: busy for [\d.]+ s, past busy_max_ms 2\.5 s/);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "recover", "restarted", from, 10_000);
  // busy_max_ms = 0: acted on at once, as before (no look).
  const { w: w0, pid: pid0 } = await readyToiler("busy_max_ms = 0\n");
  const f0 = w0.events.length;
  process.kill(pid0, "SIGUSR1");
  const now = await w0.waitEvent((e) => e.component === "toiler" && e.event === "check-failed", "failed at once", f0, 10_000);
  expect(now.reason).not.toContain("busy");
  expect(of(w0, "toiler", f0).filter((e) => e.event === "busy")).toEqual([]);
}, 90_000);

test("a component that links the library and leaves its queries unanswered: busy while it works, hung when stopped", async () => {
  const w = await startWatched(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "toiler"\nplane = "system"\nstart = ${JSON.stringify([process.execPath, TOILER, "--library", "toiler", "6000"])}\n[[component.check]]\nname = "health"\nmode = "query"\nperiod_ms = 1000\ntimeout_ms = 500\n`);
  running.push(w);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "ready", "registered", 0, 20_000);
  const pid = await pidOf(w, "toiler");
  let from = w.events.length;
  process.kill(pid, "SIGUSR1");
  const busy = await w.waitEvent((e) => e.component === "toiler" && e.event === "busy", "busy", from, 10_000);
  expect(busy.reason).toMatch(/^busy: \d+ % of a CPU.*; check 'health': no reply within 500 ms/);
  await w.waitEvent((e) => e.component === "toiler" && e.event === "check-ok", "ok again", from, 20_000);
  expect(of(w, "toiler", from).filter((e) => ["recover", "exited", "check-failed"].includes(e.event))).toEqual([]);
  from = w.events.length;
  process.kill(pid, "SIGSTOP");
  const failed = await w.waitEvent((e) => e.component === "toiler" && e.event === "check-failed", "hung", from, 10_000);
  expect(failed.reason).toContain("hung: stopped (state T)");
  await w.waitEvent((e) => e.component === "toiler" && e.event === "recover", "restarted", from, 10_000);
  await until(async () => (await pidOf(w, "toiler")) !== pid, "a new process", 20_000);
}, 90_000);
