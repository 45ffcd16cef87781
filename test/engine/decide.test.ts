/** The decision engine, one behaviour per row: a script of (time, event) → the actions expected. */
import { describe, expect, test } from "bun:test";
import { decide, INITIAL_STATE, type Action, type EngineEvent, type EngineState } from "../../src/engine/decide.ts";
import { DEFAULT_POLICY, FAST_PATH_POLICY, withinPlane, type ComponentPolicy } from "../../src/engine/policy.ts";

const fail = (component = "ospfd", extra: Partial<Extract<EngineEvent, { type: "failure" }>> = {}): EngineEvent =>
  ({ type: "failure", component, reason: "query timed out", certain: true, ...extra });
const healthy = (component = "ospfd"): EngineEvent => ({ type: "healthy", component });

/** Runs a script; returns the actions of each step, summarised as "type:level". */
function play(script: [number, EngineEvent][], policy: ComponentPolicy = DEFAULT_POLICY, start: EngineState = INITIAL_STATE) {
  let s = start;
  const out: string[][] = [];
  for (const [t, e] of script) {
    const d = decide(s, e, t, () => policy);
    s = d.state;
    out.push(d.actions.map(summary));
  }
  return { out, state: s };
}
const summary = (a: Action) => (a.type === "recover" || a.type === "flight-record" ? `${a.type}:${a.level}` : a.type);

describe("the ladder", () => {
  test("first failures restart the daemon; the third within 60 s restarts the control plane, after a flight record", () => {
    const { out } = play([[0, fail()], [10_000, fail()], [20_000, fail()]]);
    expect(out).toEqual([
      ["recover:restart-daemon"],
      ["recover:restart-daemon"],
      ["flight-record:restart-control-plane", "recover:restart-control-plane"],
    ]);
  });
  test("failures spread wider than the window do not escalate (sliding window)", () => {
    const { out } = play([[0, fail()], [40_000, fail()], [80_000, fail()], [120_000, fail()]]);
    expect(out.flat()).toEqual(Array(4).fill("recover:restart-daemon"));
  });
  test("with the whole ladder (opt-in), five failures within 5 minutes reach control plane + fast path", () => {
    const whole = { ...DEFAULT_POLICY, ladder: [...DEFAULT_POLICY.ladder, { failures: 5, withinMs: 300_000, then: "restart-control-plane-and-fast-path" as const }] };
    const { out } = play([0, 50_000, 100_000, 150_000, 200_000].map((t) => [t, fail()] as [number, EngineEvent]), whole);
    expect(out[4]).toEqual(["flight-record:restart-control-plane-and-fast-path", "recover:restart-control-plane-and-fast-path"]);
  });
  test("a dead fast-path core starts at control plane + fast path; three within 10 min reboot the system", () => {
    const { out } = play([[0, fail("fp")], [100_000, fail("fp")], [200_000, fail("fp")]], FAST_PATH_POLICY);
    expect(out.map((a) => a.at(-1))).toEqual(["recover:restart-control-plane-and-fast-path", "recover:restart-control-plane-and-fast-path", "recover:reboot-system"]);
  });
});

describe("grace, reset, recommendation", () => {
  test("a failure within the grace period after a recovery is ignored, and not counted", () => {
    const { out, state } = play([[0, fail()], [1_000, fail()], [10_000, fail()], [20_000, fail()]]);
    expect(out.map((a) => a[0])).toEqual(["recover:restart-daemon", "ignore", "recover:restart-daemon", "flight-record:restart-control-plane"]);
    expect(state.components.get("ospfd")?.failures).toEqual([0, 10_000, 20_000]);
  });
  test("sustained health resets the history: an old burst does not escalate a new, lone failure", () => {
    const p = { ...DEFAULT_POLICY, healthyResetMs: 30_000, ladder: [{ failures: 2, withinMs: 3_600_000, then: "restart-control-plane" as const }] };
    const { out } = play([[0, fail()], [10_000, healthy()], [50_000, healthy()], [60_000, fail()]], p);
    expect(out[3]).toEqual(["recover:restart-daemon"]);
    const without = play([[0, fail()], [10_000, healthy()], [20_000, healthy()], [60_000, fail()]], p);
    expect(without.out[3]).toEqual(["flight-record:restart-control-plane", "recover:restart-control-plane"]);
  });
  test("a recommended level is honoured up to the policy's maximum, and says so", () => {
    let s = INITIAL_STATE;
    const d = decide(s, fail("bgpd", { recommended: "reboot-system" }), 0, () => DEFAULT_POLICY);
    s = d.state;
    const rec = d.actions.find((a) => a.type === "recover");
    expect(rec).toMatchObject({ level: "restart-control-plane" });
    expect(rec && "reason" in rec && rec.reason).toContain("recommended reboot-system, capped to restart-control-plane");
    const d2 = decide(INITIAL_STATE, fail("bgpd", { recommended: "restart-daemon" }), 0, () => DEFAULT_POLICY);
    expect(d2.actions.map(summary)).toEqual(["recover:restart-daemon"]);
  });
});

describe("flapping", () => {
  const flappy = { ...DEFAULT_POLICY, graceMs: 0, ladder: [], flap: { restarts: 3, withinMs: 60_000 }, quarantine: true };
  test("with quarantine = true, a daemon that keeps failing is quarantined: no more restarts, an operator is needed", () => {
    const { out, state } = play([[0, fail()], [1_000, fail()], [2_000, fail()], [3_000, fail()], [4_000, fail()]], flappy);
    expect(out.map((a) => a.join(","))).toEqual(["recover:restart-daemon", "recover:restart-daemon", "recover:restart-daemon", "quarantine", "ignore"]);
    expect(state.components.get("ospfd")?.quarantined).toBe(true);
    const reset = decide(state, { type: "operator-reset", component: "ospfd" }, 5_000, () => flappy);
    expect(decide(reset.state, fail(), 6_000, () => flappy).actions.map(summary)).toEqual(["recover:restart-daemon"]);
  });
  test("a plane that forces escalation escalates instead of quarantining", () => {
    const p = { ...FAST_PATH_POLICY, graceMs: 0, ladder: [], flap: { restarts: 2, withinMs: 60_000 } };
    const { out } = play([[0, fail("fp")], [1_000, fail("fp")], [2_000, fail("fp")]], p);
    expect(out[2]).toEqual(["flight-record:reboot-system", "recover:reboot-system"]);
  });
});

describe("starvation guard", () => {
  test("while the monitor was starved, uncertain failures are re-checked; certain ones (a death) are acted on", () => {
    let s = decide(INITIAL_STATE, { type: "starved", lateMs: 800, recheckMs: 2_000 }, 0, () => DEFAULT_POLICY);
    expect(s.actions.map((a) => a.type)).toEqual(["degraded-monitor"]);
    const uncertain = decide(s.state, fail("a", { certain: false }), 500, () => DEFAULT_POLICY);
    expect(uncertain.actions.map((a) => a.type)).toEqual(["recheck"]);
    expect(uncertain.state).toBe(s.state);
    const certain = decide(s.state, fail("b", { certain: true }), 500, () => DEFAULT_POLICY);
    expect(certain.actions.map(summary)).toEqual(["recover:restart-daemon"]);
    s = decide(s.state, fail("a", { certain: false }), 2_500, () => DEFAULT_POLICY);
    expect(s.actions.map(summary)).toEqual(["recover:restart-daemon"]);
  });
});

test("history is bounded", () => {
  const p = { ...DEFAULT_POLICY, graceMs: 0, ladder: [], flap: { restarts: 1e9, withinMs: 1 }, backoff: { initialMs: 0, maxMs: 0, resetMs: 1 } };
  const { state } = play(Array.from({ length: 500 }, (_, i) => [i * 10, fail()] as [number, EngineEvent]), p);
  expect(state.components.get("ospfd")?.failures.length).toBe(64);
});

describe("safe defaults (a failure costs only what it must)", () => {
  const delays = (_r: { state: EngineState }, acts: Action[][]) => acts.flat().filter((a) => a.type === "recover").map((a) => (a.type === "recover" ? a.delayMs : -1));
  function run(script: [number, EngineEvent][], policy: ComponentPolicy) {
    let s = INITIAL_STATE;
    const acts: Action[][] = [];
    for (const [t, e] of script) {
      const d = decide(s, e, t, () => policy);
      s = d.state;
      acts.push(d.actions);
    }
    return { state: s, acts };
  }

  test("the default ladder has one rung: a control-plane daemon reaches restart-control-plane, never further", () => {
    const { out } = play([0, 20_000, 40_000, 60_000, 80_000, 100_000].map((t) => [t, fail()] as [number, EngineEvent]));
    expect(out.flat().filter((a) => a.startsWith("recover:")).every((a) => a === "recover:restart-daemon" || a === "recover:restart-control-plane")).toBe(true);
  });

  test("a system-plane component restarts only itself, however often it fails (withinPlane)", () => {
    const system = withinPlane(DEFAULT_POLICY, "system");
    const { out } = play(Array.from({ length: 10 }, (_, i) => [i * 10_000, fail("nginx")] as [number, EngineEvent]), system);
    expect(new Set(out.flat().filter((a) => a.startsWith("recover:")))).toEqual(new Set(["recover:restart-daemon"]));
    // Its own config can say more.
    const lifted = { ...system, ladder: [{ failures: 2, withinMs: 60_000, then: "restart-control-plane" as const }] };
    expect(play([[0, fail("nginx")], [10_000, fail("nginx")]], lifted).out[1]).toContain("recover:restart-control-plane");
  });

  test("a start failure restarts only itself, with the backoff, and is not absorbed by grace", () => {
    const { acts } = run([0, 10, 20, 30, 40].map((t) => [t, fail("nginx", { start: true })] as [number, EngineEvent]), DEFAULT_POLICY);
    expect(acts.flat().filter((a) => a.type === "recover").map((a) => (a.type === "recover" ? `${a.level} ${a.delayMs}` : ""))).toEqual([
      "restart-daemon 0", "restart-daemon 100", "restart-daemon 200", "restart-daemon 400", "restart-daemon 800",
    ]);
    const opted = run([0, 10, 20].map((t) => [t, fail("nginx", { start: true })] as [number, EngineEvent]), { ...DEFAULT_POLICY, escalateStartFailures: true, graceMs: 0 });
    expect(opted.acts[2]!.some((a) => a.type === "recover" && a.level === "restart-control-plane")).toBe(true);
  });

  test("restarts back off from 100 ms, doubling to the cap, and start again at once after a healthy spell", () => {
    const p = { ...DEFAULT_POLICY, graceMs: 0, ladder: [] };
    const script = Array.from({ length: 9 }, (_, i) => [i * 20_000, fail()] as [number, EngineEvent]);
    const r = run(script, p);
    expect(delays(r, r.acts)).toEqual([0, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    const again = run([...script, [200_000, healthy()], [270_000, fail()]], p);
    expect(delays(again, again.acts).at(-1)).toBe(0);
  });

  test("flapping is an event, said once, and restarts go on (no quarantine by default)", () => {
    const p = { ...DEFAULT_POLICY, graceMs: 0, ladder: [], flap: { restarts: 3, withinMs: 60_000 } };
    const { out, state } = play([0, 1_000, 2_000, 3_000, 4_000, 5_000].map((t) => [t, fail()] as [number, EngineEvent]), p);
    expect(out.map((a) => a.join(","))).toEqual(["recover:restart-daemon", "recover:restart-daemon", "recover:restart-daemon", "flapping,recover:restart-daemon", "recover:restart-daemon", "recover:restart-daemon"]);
    expect(state.components.get("ospfd")).toMatchObject({ quarantined: false, flapping: true });
  });

  test("a collateral restart gives grace, and is never a failure of its own", () => {
    const { out, state } = play([[0, { type: "collateral", component: "bgpd" }], [1_000, fail("bgpd")], [10_000, fail("bgpd")]]);
    expect(out).toEqual([[], ["ignore"], ["recover:restart-daemon"]]);
    expect(state.components.get("bgpd")?.failures).toEqual([10_000]);
  });
});
