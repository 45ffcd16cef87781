import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../src/library/component.ts";
import { Session } from "../../src/library/session.ts";
import { backoffDelay } from "../../src/library/backoff.ts";
import { startMonitorServer, type MonitorServer } from "../../src/monitor/server.ts";
import { HamonError } from "../../src/protocol/errors.ts";
import type { MonitorEvent } from "../../src/monitor/dispatch.ts";
import { until } from "../helpers/wait.ts";

const quiet = () => {};
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function monitor(sock?: string): Promise<{ srv: MonitorServer; sock: string; events: MonitorEvent[] }> {
  const path = sock ?? join(mkdtempSync(join(tmpdir(), "hamon-lib-")), "h.sock");
  const events: MonitorEvent[] = [];
  // The backpressure test floods reports on purpose: lift the component rate limit.
  const srv = await startMonitorServer({ socketPath: path, log: quiet, onEvent: (e) => events.push(e), rate: { burst: 1e6, perSecond: 1e6 } });
  cleanup.push(() => srv.stop());
  return { srv, sock: path, events };
}

describe("backoff", () => {
  test.each([
    [0, 0, 10], [0, 1, 20], [3, 0, 80], [3, 1, 160], [10, 1, 2000], [50, 0, 1000],
  ])("attempt %i, random %d → %i ms", (attempt, r, ms) => {
    expect(backoffDelay(attempt, { initialMs: 20, maxMs: 2000 }, () => r)).toBe(ms);
  });
});

describe("component library against a live monitor", () => {
  test("registers, reports, and answers queries through its handlers", async () => {
    const { srv, sock, events } = await monitor();
    const c = new Component({ name: "bgpd", kind: "dynamic", plane: "control", socket: sock,
      audit: async () => ({ health: "degraded", detail: "3 stale routes" }),
      onQuery: (q) => ({ health: "ok", detail: `answered ${q.kind}` }) });
    cleanup.push(() => c.stop());
    await c.start();
    c.report("degraded", "peer down");
    await until(() => events.some((e) => e.event === "report-degraded"), "report");
    const entry = srv.dispatcher.registry.get("bgpd")!;
    expect(entry).toMatchObject({ kind: "dynamic", plane: "control", state: "up", health: "degraded", reason: "peer down", pid: process.pid });

    const replies: unknown[] = [];
    const conn = entry.conn!;
    const orig = srv.dispatcher.handle.bind(srv.dispatcher);
    srv.dispatcher.handle = (cn, m) => (m.type === "reply" ? void replies.push(m) : orig(cn, m));
    conn.send({ type: "query", id: 101, kind: "audit", check: "", action: "" });
    conn.send({ type: "query", id: 102, kind: "health", check: "rib", action: "" });
    await until(() => replies.length === 2, "replies");
    expect(replies).toEqual([
      { type: "reply", id: 101, health: "degraded", detail: "3 stale routes" },
      { type: "reply", id: 102, health: "ok", detail: "answered health" },
    ]);
  });

  test("a throwing query handler becomes a failed reply, not a crash", async () => {
    const { srv, sock } = await monitor();
    const c = new Component({ name: "bad", socket: sock, onQuery: () => { throw new Error("boom"); } });
    cleanup.push(() => c.stop());
    await c.start();
    const replies: unknown[] = [];
    const orig = srv.dispatcher.handle.bind(srv.dispatcher);
    srv.dispatcher.handle = (cn, m) => (m.type === "reply" ? void replies.push(m) : orig(cn, m));
    srv.dispatcher.registry.get("bad")!.conn!.send({ type: "query", id: 5, kind: "health", check: "", action: "" });
    await until(() => replies.length === 1, "reply");
    expect(replies[0]).toEqual({ type: "reply", id: 5, health: "failed", detail: "query handler threw: boom" });
  });

  test("rides through a monitor restart: reconnects, registers again, re-sends its report and queued error reports", async () => {
    const first = await monitor();
    const c = new Component({ name: "ospfd", socket: first.sock, backoff: { initialMs: 5, maxMs: 50 } });
    cleanup.push(() => c.stop());
    await c.start();
    c.report("degraded", "adjacency lost");
    first.srv.stop();
    await until(() => c.counters.disconnects === 1, "disconnect");
    c.errorReport("restart-daemon", "spf stuck");
    const second = await monitor(first.sock);
    await until(() => second.events.some((e) => e.event === "error-report"), "re-registration", 5000);
    expect(c.counters.registrations).toBe(2);
    expect(second.srv.dispatcher.registry.get("ospfd")).toMatchObject({ state: "up", health: "degraded", reason: "adjacency lost" });
    expect(second.events.map((e) => e.event)).toEqual(["registered", "report-degraded", "error-report"]);
  });

  test("a second live registration of the same name is refused with E_NAME_TAKEN", async () => {
    const { sock } = await monitor();
    const a = new Component({ name: "dup", socket: sock });
    cleanup.push(() => a.stop());
    await a.start();
    const s = await Session.open(sock, { role: "component" });
    cleanup.push(() => s.close());
    const err = await s.request({ type: "register", id: s.nextId(), name: "dup", kind: "static", plane: "control", pid: 1, checks: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(HamonError);
    expect((err as HamonError).code).toBe("E_NAME_TAKEN");
  });

  test("an invalid registration rejects start() instead of retrying forever", async () => {
    const { sock } = await monitor();
    const c = new Component({ name: "bad name!", socket: sock });
    const err = await c.start().catch((e) => e);
    expect((err as HamonError).code).toBe("E_INVALID");
  });

  test("start() keeps retrying until a monitor appears", async () => {
    const sock = join(mkdtempSync(join(tmpdir(), "hamon-lib-")), "h.sock");
    const c = new Component({ name: "early", socket: sock, backoff: { initialMs: 5, maxMs: 40 } });
    cleanup.push(() => c.stop());
    const started = c.start();
    await Bun.sleep(150);
    await monitor(sock);
    await started;
    expect(c.counters.registrations).toBe(1);
  });
});

describe("backpressure", () => {
  test("a peer that stops reading is cut off once its queue passes the cap; others are unaffected", async () => {
    const { srv, sock } = await monitor();
    const good = new Component({ name: "good", socket: sock });
    cleanup.push(() => good.stop());
    await good.start();
    // A raw client that subscribes to events and never reads them.
    const hello = (await import("../../src/protocol/framing.ts")).encodeFrame;
    const { encode } = await import("../../src/protocol/codec.ts");
    const raw = await Bun.connect({ unix: sock, socket: { data() {}, open(s) { s.pause?.(); } } });
    raw.write(hello(encode({ type: "hello", version: 1, minVersion: 1, role: "subscriber", agent: "slow" })));
    raw.write(hello(encode({ type: "subscribe", id: 1 })));
    await until(() => srv.dispatcher.subscribers.size === 1, "subscription");
    (raw as unknown as { pause(): void }).pause();
    for (let i = 0; i < 100_000 && srv.dispatcher.subscribers.size > 0; i++) {
      good.report(i % 2 ? "ok" : "degraded", `flap ${i} ${"x".repeat(200)}`);
      if (i % 200 === 0) await Bun.sleep(1);
    }
    await until(() => srv.dispatcher.subscribers.size === 0, "slow subscriber cut off");
    expect(srv.dispatcher.registry.get("good")?.state).toBe("up");
    expect(good.counters.disconnects).toBe(0);
    raw.end();
  }, 30_000);
});
