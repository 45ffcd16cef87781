/** The node verdict and pending recoveries as pure functions: one row per rule. */
import { describe, expect, test } from "bun:test";
import { nextPressure, NO_PRESSURE } from "../../src/engine/pressure.ts";
import { DEFAULT_WEIGHTS, GREEN, MAX_PENALTY, nodeVerdict, trackPending, type NodeRow } from "../../src/engine/node.ts";
import type { Level } from "../../src/protocol/messages.ts";

const row = (name: string, plane: NodeRow["plane"], state = "up", health: NodeRow["health"] = "ok", active = true): NodeRow => ({ name, plane, state, health, active });
const none = new Map<string, Level>();
const W = DEFAULT_WEIGHTS;

describe("nodeVerdict", () => {
  test.each([
    ["all up and ok", [row("ospfd", "control"), row("fp", "fast")], none, false, "green", 0, ""],
    ["no components at all", [], none, false, "green", 0, ""],
    ["a control component degraded", [row("ospfd", "control", "up", "degraded"), row("fp", "fast")], none, false, "yellow", 10, "ospfd degraded"],
    ["two down, one starting", [row("a", "control", "down", "failed"), row("b", "system", "down", "failed"), row("c", "control", "starting")], none, false, "yellow", 30, "a down (+2 more)"],
    ["a deactivated dynamic component does not count", [row("bgpd", "control", "inactive", "ok", false)], none, false, "green", 0, ""],
    ["a fast path with a dead core", [row("fp", "fast", "up", "failed")], none, false, "red", 0, "fast path fp failed"],
    ["a fast path whose writer is gone", [row("fp", "fast", "down", "failed")], none, false, "red", 0, "fast path fp down"],
    ["a fast path not attached yet", [row("fp", "fast", "starting")], none, false, "red", 0, "fast path fp starting"],
    ["a suspect core only degrades", [row("fp", "fast", "up", "degraded")], none, false, "yellow", 10, "fp degraded"],
    ["CP+FP restart pending", [row("ospfd", "control")], new Map<string, Level>([["ospfd", "restart-control-plane-and-fast-path"]]), false, "red", 0, "restart-control-plane-and-fast-path pending for ospfd"],
    ["reboot pending", [row("ospfd", "control")], new Map<string, Level>([["ospfd", "reboot-system"]]), false, "red", 0, "reboot-system pending for ospfd"],
    ["control-plane restart pending", [row("ospfd", "control", "down", "failed")], new Map<string, Level>([["ospfd", "restart-control-plane"]]), false, "yellow", 60, "ospfd down; restart-control-plane pending for ospfd"],
    ["the monitor starved", [row("ospfd", "control")], none, true, "yellow", 20, "monitor starved"],
  ] as const)("%s", (_, rows, pending, starved, health, penalty, reason) => {
    const v = nodeVerdict(rows, pending, starved, W);
    expect(v).toEqual({ health, penalty, reason });
  });

  test("green is the shared constant (nothing allocated on the monitor's timer when all is well)", () => {
    expect(nodeVerdict([row("a", "control"), null, undefined], none, false, W)).toBe(GREEN);
  });

  test("the penalty is capped below keepalived's FAULT threshold", () => {
    const many = Array.from({ length: 100 }, (_, i) => row(`c${i}`, "control", "down", "failed"));
    expect(nodeVerdict(many, none, true, W).penalty).toBe(MAX_PENALTY);
  });

  test("weights come from [node]", () => {
    expect(nodeVerdict([row("a", "control", "up", "degraded")], none, true, { degradedPenalty: 1, controlPlanePenalty: 2, starvedPenalty: 3, pressurePenalty: 5 }).penalty).toBe(4);
  });

  test("pressure: yellow with its own penalty and its reason, on top of the rest", () => {
    expect(nodeVerdict([row("a", "control", "up", "ok")], none, false, W, "memory pressure ≥ 20 % for 60 s")).toEqual({ health: "yellow", penalty: W.pressurePenalty, reason: "memory pressure ≥ 20 % for 60 s" });
    expect(nodeVerdict([row("a", "control", "up", "degraded")], none, false, W, "cpu pressure ≥ 80 % for 60 s")).toMatchObject({ penalty: W.degradedPenalty + W.pressurePenalty, reason: "a degraded; cpu pressure ≥ 80 % for 60 s" });
  });
});

describe("pressure (PSI, pure)", () => {
  const L = { pct: [50, 20, 0] as [number, number, number], forMs: 3_000 };
  /** Feeds per-second samples where resource `i` stalled `pct` % of each second. */
  function run(pcts: number[][]): ReturnType<typeof nextPressure>[] {
    let s = NO_PRESSURE;
    const totals = [0, 0, 0];
    const out = [];
    s = nextPressure(s, [...totals], 0, L);
    for (let k = 0; k < pcts.length; k++) {
      for (let i = 0; i < 3; i++) totals[i]! += pcts[k]![i]! * 10_000; // % of 1 s, in µs
      out.push((s = nextPressure(s, [...totals], (k + 1) * 1_000, L)));
    }
    return out;
  }

  test("high for forMs running is pressure; one low interval ends it; an unwatched resource never counts", () => {
    const r = run([[60, 0, 100], [70, 0, 100], [90, 0, 100], [55, 0, 100], [10, 0, 100], [60, 0, 100]]);
    expect(r.map((s) => s.reason)).toEqual([null, null, "cpu pressure ≥ 50 % for 3 s", "cpu pressure ≥ 50 % for 3 s", null, null]);
    expect(r[1]!.shares[0]).toBeCloseTo(70, 5);
  });

  test("two resources at once are both named; a counter that cannot be read or goes backwards gives no share", () => {
    const r = run([[60, 30, 0], [60, 30, 0], [60, 30, 0]]);
    expect(r[2]!.reason).toBe("cpu pressure ≥ 50 % for 3 s, memory pressure ≥ 20 % for 3 s");
    const gone = nextPressure(r[2]!, [-1, 0, 0], 4_000, L);
    expect(Number.isNaN(gone.shares[0])).toBe(true);
    expect(gone.reason).toBeNull();
  });
});

describe("trackPending", () => {
  const rows = new Map<string, NodeRow>();
  const rowOf = (n: string) => rows.get(n);
  const ev = (component: string, event: string, level = "") => ({ component, event, level });

  test("a decided restart-daemon is not pending; CP and worse are, until the component is up and ok again", () => {
    rows.set("fp", row("fp", "fast", "up", "failed"));
    let p = trackPending(new Map(), ev("fp", "recover", "restart-daemon"), rowOf);
    expect(p.size).toBe(0);
    p = trackPending(p, ev("fp", "recover", "restart-control-plane-and-fast-path"), rowOf);
    expect([...p]).toEqual([["fp", "restart-control-plane-and-fast-path"]]);
    rows.set("fp", row("fp", "fast", "down", "failed"));
    const same = trackPending(p, ev("fp", "core-writer-gone"), rowOf);
    expect(same).toBe(p); // unchanged: the same map back
    rows.set("fp", row("fp", "fast", "up", "ok"));
    expect(trackPending(p, ev("fp", "attached"), rowOf).size).toBe(0);
  });

  test("a recover for a component that looks up/ok at that instant stays pending (the decision is evidence)", () => {
    rows.set("x", row("x", "control"));
    expect(trackPending(new Map(), ev("x", "recover", "restart-control-plane"), rowOf).size).toBe(1);
  });

  test("a lower level never replaces a higher one; reboot-system waits for an operator restart", () => {
    rows.set("y", row("y", "control", "down", "failed"));
    let p = trackPending(new Map(), ev("y", "recover", "reboot-system"), rowOf);
    p = trackPending(p, ev("y", "recover", "restart-control-plane"), rowOf);
    expect(p.get("y")).toBe("reboot-system");
    rows.set("y", row("y", "control"));
    p = trackPending(p, ev("y", "registered"), rowOf);
    expect(p.get("y")).toBe("reboot-system");
    expect(trackPending(p, ev("y", "operator-restart"), rowOf).size).toBe(0);
  });

  test("deactivated or forgotten components are no longer pending", () => {
    rows.set("z", row("z", "control", "down", "failed"));
    const p = trackPending(new Map(), ev("z", "recover", "restart-control-plane"), rowOf);
    expect(trackPending(p, ev("z", "deactivated"), rowOf).size).toBe(0);
    rows.delete("z");
    expect(trackPending(p, ev("other", "registered"), rowOf).size).toBe(0);
  });
});
