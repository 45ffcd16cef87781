/** The dispatcher without a socket: a fake Conn records what the monitor sends. */
import { describe, expect, test } from "bun:test";
import { Dispatcher, negotiate, type MonitorEvent } from "../../src/monitor/dispatch.ts";
import type { Message } from "../../src/protocol/messages.ts";
import { Registry } from "../../src/monitor/registry.ts";
import { RecentEvents } from "../../src/monitor/recent.ts";
import { BareHooks } from "../../src/monitor/bare.ts";
import { readVerbs, routeVerbs } from "../../src/monitor/verbs.ts";

class FakeConn {
  sent: Message[] = [];
  closedWith: string | null = null;
  send(m: Message) { this.sent.push(m); return this.closedWith === null; }
  close(r: string) { this.closedWith = r; }
}

/** A timer on the real clock (what a Loop's `after` is, without the loop). */
const realAfter = (ms: number, fn: () => void) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

function setup(ring = new RecentEvents()) {
  let t = 1000;
  const events: MonitorEvent[] = [];
  const registry = new Registry();
  const now = () => t;
  const emit = (e: MonitorEvent) => void events.push(e);
  // Hooks with nothing to decide (bare.ts): what the dispatcher does on its own is what is tested here.
  const verbs = routeVerbs(readVerbs({ registry, recent: new RecentEvents(), coresOf: () => null, detailOf: () => null, monitorInfo: (n) => ({ pid: 1, version: "t", uptimeMs: n }) }));
  const replay = (since: number, visit: (ev: Extract<Message, { type: "event" }>) => void) => ring.after(since, (e) => visit({ type: "event", ...e }));
  const d = new Dispatcher({ now, emit, log: () => {}, after: realAfter, registry, hooks: new BareHooks({ registry, now, emit }), verbs, maxRecommend: () => "reboot-system", replay });
  const conn = (role: "component" | "client" | "subscriber" = "component") => {
    const c = new FakeConn();
    d.open(c);
    d.handle(c, { type: "hello", version: 1, minVersion: 1, role, agent: "t" });
    c.sent = [];
    return c;
  };
  return { d, events, conn, tick: (ms: number) => (t += ms) };
}
const reg = (name: string, id = 1): Message => ({ type: "register", id, name, kind: "static", plane: "control", pid: 7, checks: [] });

describe("version negotiation", () => {
  test.each([[1, 1, 1], [1, 5, 1], [2, 5, 0], [0, 0, 0]])("peer %i..%i → %i", (min, max, v) => expect(negotiate(min, max, [1])).toBe(v));
});

describe("connection state machine", () => {
  test("hello first: anything else is E_STATE and closes", () => {
    const { d } = setup();
    const c = new FakeConn();
    d.open(c);
    d.handle(c, reg("a"));
    expect(c.sent[0]).toMatchObject({ type: "error", code: "E_STATE" });
    expect(c.closedWith).toContain("E_STATE");
  });
  test("no common version: E_VERSION and close", () => {
    const { d } = setup();
    const c = new FakeConn();
    d.open(c);
    d.handle(c, { type: "hello", version: 9, minVersion: 7, role: "client", agent: "" });
    expect(c.sent[0]).toMatchObject({ type: "error", code: "E_VERSION" });
    expect(c.closedWith).not.toBeNull();
  });
  test.each([
    [{ type: "report", health: "ok", reason: "" }],
    [{ type: "confirm", check: "x", result: "ok", reason: "" }],
    [{ type: "error-report", level: "restart-daemon", reason: "" }],
  ] as [Message][])("%j before register is E_STATE, connection kept", (m) => {
    const { d, conn } = setup();
    const c = conn();
    d.handle(c, m);
    expect(c.sent[0]).toMatchObject({ type: "error", code: "E_STATE" });
    expect(c.closedWith).toBeNull();
  });
  test("one connection cannot register two names", () => {
    const { d, conn } = setup();
    const c = conn();
    d.handle(c, reg("a", 1));
    d.handle(c, reg("b", 2));
    expect(c.sent).toEqual([{ type: "ok", id: 1 }, expect.objectContaining({ type: "error", id: 2, code: "E_STATE" })]);
  });
});

describe("registry through messages", () => {
  test("register, report, disconnect: up → degraded → down with evidence; events in order", () => {
    const { d, events, conn, tick } = setup();
    const c = conn();
    d.handle(c, reg("ospfd"));
    tick(50);
    d.handle(c, { type: "report", health: "degraded", reason: "flap" });
    d.handle(c, { type: "report", health: "degraded", reason: "flap" }); // unchanged: no second event
    expect(d.registry.status(d.registry.get("ospfd")!, 1100)).toMatchObject({ state: "up", health: "degraded", ageMs: 50 });
    d.closed(c, "peer closed the connection");
    expect(d.registry.get("ospfd")).toMatchObject({ state: "down", health: "failed", reason: "connection lost: peer closed the connection" });
    expect(events.map((e) => e.event)).toEqual(["registered", "report-degraded", "disconnected"]);
  });
  test("a name held by a live connection is E_NAME_TAKEN; after it drops, the name can be taken", () => {
    const { d, conn } = setup();
    const a = conn();
    const b = conn();
    d.handle(a, reg("x"));
    d.handle(b, reg("x", 2));
    expect(b.sent[0]).toMatchObject({ type: "error", id: 2, code: "E_NAME_TAKEN" });
    d.closed(a, "gone");
    d.handle(b, reg("x", 3));
    expect(b.sent[1]).toEqual({ type: "ok", id: 3 });
    expect(d.registry.get("x")?.registrations).toBe(2);
  });
  test("deregister forgets the component without an alarm", () => {
    const { d, events, conn } = setup();
    const c = conn();
    d.handle(c, reg("x"));
    d.handle(c, { type: "deregister", id: 2, reason: "bye" });
    d.closed(c, "closed");
    expect(d.registry.get("x")).toBeUndefined();
    expect(events.map((e) => e.event)).toEqual(["registered", "deregistered"]);
  });
});

describe("client commands", () => {
  test("status lists components sorted by name; show of an unknown name is E_NOT_FOUND", () => {
    const { d, conn } = setup();
    for (const n of ["zeta", "alpha"]) d.handle(conn(), reg(n));
    const cl = conn("client");
    d.handle(cl, { type: "command", id: 4, verb: "status", target: "", kind: "" });
    const r = cl.sent[0];
    expect(r?.type === "result" && r.components.map((c) => c.name)).toEqual(["alpha", "zeta"]);
    d.handle(cl, { type: "command", id: 5, verb: "show", target: "nope", kind: "" });
    expect(cl.sent[1]).toMatchObject({ type: "error", id: 5, code: "E_NOT_FOUND" });
  });
  test("subscribe answers ok and adds the connection to the subscribers; closing removes it", () => {
    const { d, conn } = setup();
    const sub = conn("subscriber");
    d.handle(sub, { type: "subscribe", id: 1 });
    expect(sub.sent).toEqual([{ type: "ok", id: 1 }]);
    expect(d.subscribers.has(sub)).toBe(true);
    d.closed(sub, "bye");
    expect(d.subscribers.size).toBe(0);
  });
  test("subscribe since N: ok, then the held events numbered above N, oldest first, then live; without since, live only", () => {
    const ring = new RecentEvents(4);
    const ev = (seq: number) => ({ seq, time: 1_000 + seq, component: `c${seq}`, event: "started", level: "", reason: `pid ${seq}` });
    for (const seq of [3, 5, 6, 8, 9, 11]) ring.push(ev(seq)); // the ring keeps the last 4: 6, 8, 9, 11
    const { d, conn } = setup(ring);
    const late = conn("subscriber");
    d.handle(late, { type: "subscribe", id: 1, since: 7 });
    expect(late.sent).toEqual([{ type: "ok", id: 1 }, { type: "event", ...ev(8) }, { type: "event", ...ev(9) }, { type: "event", ...ev(11) }]);
    expect(d.subscribers.has(late)).toBe(true);
    const all = conn("subscriber");
    d.handle(all, { type: "subscribe", id: 2, since: 0 });
    expect(all.sent.slice(1).map((m) => m.type === "event" && m.seq)).toEqual([6, 8, 9, 11]); // as far back as the ring goes: the gap shows in seq
    const live = conn("subscriber");
    d.handle(live, { type: "subscribe", id: 3 });
    expect(live.sent).toEqual([{ type: "ok", id: 3 }]);
    const now = conn("subscriber");
    d.handle(now, { type: "subscribe", id: 4, since: 11 });
    expect(now.sent).toEqual([{ type: "ok", id: 4 }]);
  });
});
