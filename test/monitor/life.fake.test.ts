/**
 * A daemon's life (monitor/life.ts) on the fake clock: every timer of the
 * monitor is the loop's, so a hold (`after`), a readiness deadline and a stop
 * deadline all run on fake time, in milliseconds of real time.
 */
import { expect, test } from "bun:test";
import { fakeMonitor } from "../helpers/fake-monitor.ts";

/** Lets chains of promise callbacks (an exit, then the stop's end, then the spawn) run at this instant. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

test("after: a daemon is held back until what it starts after is ready, then started", async () => {
  const m = fakeMonitor(`[[component]]\nname = "zebra"\nstart = ["/fake/sleep"]\n[[component]]\nname = "bgpd"\nstart = ["/fake/sleep", "bgpd"]\nafter = ["zebra"]\n`);
  m.core.start();
  expect([...m.procs.procs.values()].map((p) => p.argv.join(" "))).toEqual(["/fake/sleep"]);
  expect(m.d.registry.get("bgpd")).toMatchObject({ state: "starting", reason: "waiting for zebra to be ready (initial start)" });
  await m.clock.advance(5_000); // held back: its own readiness deadline does not run meanwhile
  expect(m.d.registry.get("bgpd")?.state).toBe("starting");
  const zebra = [...m.procs.procs.values()][0]!;
  const { conn } = m.connect();
  m.d.handle(conn, { type: "register", id: 1, name: "zebra", kind: "static", plane: "control", pid: zebra.pid, checks: [] });
  expect([...m.procs.procs.values()].map((p) => p.argv.join(" "))).toEqual(["/fake/sleep", "/fake/sleep bgpd"]);
  // zebra's ready (with its latency) comes before bgpd's start: one place says ready.
  const order = m.events.filter((e) => e.event === "ready" || e.event === "started").map((e) => `${e.component} ${e.event}`);
  expect(order).toEqual(["zebra started", "zebra ready", "bgpd started"]);
  await m.core.stop();
});

test("a daemon that never registers fails at its ready_timeout_ms of fake time, not before", async () => {
  const m = fakeMonitor(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "silent"\nstart = ["/fake/sleep"]\nready_timeout_ms = 5000\n`);
  m.core.start();
  await m.clock.advance(4_990);
  expect(m.d.registry.get("silent")?.state).toBe("starting");
  expect(m.of("silent")).toEqual(["started"]);
  await m.clock.advance(20);
  const recover = m.events.find((e) => e.component === "silent" && e.event === "recover");
  expect(recover?.reason).toContain("not registered within 5000 ms");
  await settle();
  expect(m.procs.procs.size).toBe(2); // and restarted (the stop first, then the spawn)
  await m.core.stop();
});

test("the stop deadline runs on the loop's clock: a daemon that ignores SIGTERM is killed at stop_timeout_ms of fake time, then started again", async () => {
  const m = fakeMonitor(`[monitor]\nstop_timeout_ms = 3000\n[[component]]\nname = "stubborn"\nstart = ["/fake/ignore-term"]\nready = "started"\n`);
  m.core.start();
  const first = [...m.procs.procs.values()][0]!;
  expect(m.of("stubborn")).toEqual(["started", "ready"]);
  const { conn, sent } = m.connect("client");
  m.d.handle(conn, { type: "command", id: 7, verb: "restart", target: "stubborn", kind: "" });
  expect(sent[0]).toMatchObject({ type: "result", id: 7 });
  expect(m.d.registry.get("stubborn")).toMatchObject({ state: "starting", expectGone: true, restarts: 1 });
  expect(m.procs.signalsOf(first.pid)).toEqual(["SIGTERM", "SIGCONT"]);
  await m.clock.advance(2_990);
  await settle();
  expect(m.procs.signalsOf(first.pid)).toEqual(["SIGTERM", "SIGCONT"]);
  await m.clock.advance(20);
  await settle();
  expect(m.procs.signalsOf(first.pid)).toEqual(["SIGTERM", "SIGCONT", "SIGKILL"]);
  const all = [...m.procs.procs.values()];
  expect(all.length).toBe(2);
  expect(m.d.registry.get("stubborn")).toMatchObject({ state: "up", pid: all[1]!.pid, expectGone: false, restarts: 1 });
  expect(m.events.find((e) => e.component === "stubborn" && e.event === "stopped")?.reason).toBe("killed after 3000 ms");
  await m.core.stop();
});
