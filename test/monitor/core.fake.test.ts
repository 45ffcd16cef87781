/**
 * The monitor's decision path in-process, on a fake clock and fake process
 * control: no socket, no monitor process, no sleeping. A registration, a
 * check that stops being answered, the decision, and the effect requested
 * (the owned daemon stopped and started again), in milliseconds of real time.
 */
import { expect, test } from "bun:test";
import type { Conn } from "../../src/monitor/registry.ts";
import type { Message } from "../../src/protocol/messages.ts";
import { fakeMonitor } from "../helpers/fake-monitor.ts";

test("register → a check goes unanswered → decide → the owned daemon is restarted (fake clock, fake processes)", async () => {
  const { clock, procs, events, core, d } = fakeMonitor(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "bgpd"\nstart = ["/usr/sbin/bgpd", "-d"]\n[[component.check]]\nname = "health"\nperiod_ms = 1000\ntimeout_ms = 200\n`);
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

test("a PSI sample due less than a judgement's period after the last one is taken at once: the loop does not turn every millisecond until the next", async () => {
  // pressure_for_ms = 6000: PSI every second. A wake-up of the loop's own 300 ms before each sample
  // (a check, a timer) runs a judgement, so each sample falls due within the judge's 500 ms.
  const { clock, core, loop } = fakeMonitor(`[node]\npressure_for_ms = 6000\n`);
  core.start();
  await clock.advance(50);
  for (let t = 700; t < 10_000; t += 1_000) loop.after(t - 50, () => {});
  const before = clock.wakes;
  await clock.advance(10_000);
  const wakes = clock.wakes - before;
  // 10 samples and 10 timers (some may coincide); before the fix: 219 (1 ms turns until each judgement).
  expect(wakes).toBeGreaterThanOrEqual(10);
  expect(wakes).toBeLessThanOrEqual(25);
  await core.stop();
});
