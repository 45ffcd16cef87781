/**
 * The monitor's decision path in-process, on a fake clock and fake process
 * control: no socket, no monitor process, no sleeping. A registration, a
 * check that stops being answered, the decision, and the effect requested
 * (the owned daemon stopped and started again), in milliseconds of real time.
 */
import { Loop } from "../../src/monitor/loop.ts";
import { LatenessHistogram } from "../../src/engine/lateness.ts";
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config.ts";
import { Dispatcher, type MonitorEvent } from "../../src/monitor/dispatch.ts";
import { MonitorCore } from "../../src/monitor/core.ts";
import type { LoopTimer } from "../../src/monitor/loop.ts";
import { Registry, type Conn } from "../../src/monitor/registry.ts";
import { RecentEvents } from "../../src/monitor/recent.ts";
import type { Message } from "../../src/protocol/messages.ts";
import { FakeProcesses } from "../../src/process/fake.ts";

/** A fake clock that owns the loop's one timer: advance() runs each wake-up at its own time, in order. */
class FakeClock implements LoopTimer {
  now = 1_000;
  private due: { at: number; fn: () => void } | null = null;
  set(fn: () => void, ms: number): unknown {
    this.due = { at: this.now + ms, fn };
    return this.due;
  }
  clear(h: unknown): void {
    if (this.due === h) this.due = null;
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    while (this.due && this.due.at <= end) {
      const d = this.due;
      this.due = null;
      this.now = d.at;
      d.fn();
      await Promise.resolve(); // let promise callbacks (a process exit) run at this instant
      await Promise.resolve();
    }
    this.now = end;
  }
}

test("register → a check goes unanswered → decide → the owned daemon is restarted (fake clock, fake processes)", async () => {
  const cfg = parseConfig(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "bgpd"\nstart = ["/usr/sbin/bgpd", "-d"]\n[[component.check]]\nname = "health"\nperiod_ms = 1000\ntimeout_ms = 200\n`);
  if (!cfg.ok) throw new Error(cfg.errors.join("; "));
  const clock = new FakeClock();
  const procs = new FakeProcesses();
  const events: MonitorEvent[] = [];
  // One loop on the fake clock drives every timer: the core's, the dispatcher's, the journal's.
  const loop = Loop.idle(() => clock.now, clock, new LatenessHistogram());
  const emit = (e: MonitorEvent) => void events.push(e);
  const registry = new Registry();
  const core = new MonitorCore({
    config: { ...cfg.config, reregisterWindowMs: 0 }, socketPath: "/nonexistent/hamon-fake.sock", stateDir: mkdtempSync(join(tmpdir(), "hamon-fake-")),
    log: () => {}, now: () => clock.now, control: procs, loop, registry, emit, recent: new RecentEvents(),
  });
  const d = new Dispatcher({ now: () => clock.now, emit, log: () => {}, after: loop.after, registry, hooks: core.intake, verbs: core.verbs, maxRecommend: core.maxRecommend });
  core.start();
  const [first] = [...procs.procs.values()];
  expect(first?.argv).toEqual(["/usr/sbin/bgpd", "-d"]);
  expect(first?.env.HAMON_MONITOR_OWNER).toBe("bgpd /nonexistent/hamon-fake.sock");

  // The daemon connects and registers (what the library does), then answers nothing.
  const sent: Message[] = [];
  const conn: Conn = { send: (m) => (sent.push(m), true), close: () => {} };
  d.open(conn);
  d.handle(conn, { type: "hello", version: 1, minVersion: 1, role: "component", agent: "fake" });
  d.handle(conn, { type: "register", id: 1, name: "bgpd", kind: "static", plane: "control", pid: first!.pid, checks: [] });
  expect(sent.map((m) => m.type)).toEqual(["welcome", "ok"]);
  expect(events.some((e) => e.component === "bgpd" && e.event === "ready")).toBe(true);

  await clock.advance(1_000);
  const q = sent.find((m) => m.type === "query");
  expect(q).toMatchObject({ kind: "health", check: "health" });
  await clock.advance(300); // past the 200 ms timeout, unanswered
  const failed = events.find((e) => e.component === "bgpd" && e.event === "check-failed");
  expect(failed?.reason).toContain("no reply within 200 ms");
  const recover = events.find((e) => e.component === "bgpd" && e.event === "recover");
  expect(recover?.level).toBe("restart-daemon");
  // The effect: SIGTERM to the daemon's group, and once it is gone, a new one.
  expect(procs.signalsOf(first!.pid)).toEqual(["SIGTERM"]);
  await clock.advance(1);
  const all = [...procs.procs.values()];
  expect(all.length).toBe(2);
  expect(all[1]!.argv).toEqual(["/usr/sbin/bgpd", "-d"]);
  expect(events.filter((e) => e.component === "bgpd" && e.event === "started").length).toBe(2);
  await core.stop();
});
