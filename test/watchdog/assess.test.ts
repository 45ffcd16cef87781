/** The assessor as a pure function of (memory, now): a synthetic region, a fake clock, one row per behaviour. */
import { describe, expect, test } from "bun:test";
import { Assessor, VERDICT_NAMES } from "../../src/watchdog/assess.ts";
import { SLOT_STATE, SW, W } from "../../src/watchdog/layout.ts";

const POLICY = { suspectMs: 50, deadMs: 250, idleSlackMs: 50, pollMs: 10 };

function region(n: number) {
  const w = new Uint32Array(W.slotBase + n * W.slotWords);
  const meta = new Uint8Array(n).fill(1);
  const a = new Assessor(w, meta, n, POLICY);
  const at = (i: number, f: number) => W.slotBase + i * W.slotWords + f;
  const seq = new Uint32Array(n);
  const setState = (i: number, st: number, maxIdle = 0) => {
    w[at(i, SW.maxIdleMs)] = maxIdle;
    w[at(i, SW.state)] = st;
    w[at(i, SW.stateSeq)] = ++seq[i]!;
  };
  const beat = (i: number, by = 1) => (w[at(i, SW.beatLo)] = (w[at(i, SW.beatLo)]! + by) >>> 0);
  const verdict = (i: number) => VERDICT_NAMES[a.verdict[i]!];
  /** Scans every 10 ms from t0 to t1 (inclusive), beating slot `beating` each time when given. */
  const run = (t0: number, t1: number, beating: number[] = []) => {
    for (let t = t0; t <= t1; t += 10) {
      for (const i of beating) beat(i);
      a.scan(t);
    }
  };
  for (let i = 0; i < n; i++) setState(i, SLOT_STATE.RUNNING);
  return { w, a, meta, setState, beat, verdict, run, at };
}

describe("verdicts", () => {
  test("a beating core is ok; silent ≥ suspectMs → suspect; ≥ deadMs → dead; beating again → ok", () => {
    const r = region(1);
    r.run(0, 100, [0]);
    expect(r.verdict(0)).toBe("ok");
    r.run(110, 160);
    expect(r.verdict(0)).toBe("suspect");
    r.run(170, 360);
    expect(r.verdict(0)).toBe("dead");
    r.run(370, 380, [0]);
    expect(r.verdict(0)).toBe("ok");
  });
  test("IDLE within its promise stays ok; beyond promise + slack → dead", () => {
    const r = region(1);
    r.run(0, 20, [0]);
    r.setState(0, SLOT_STATE.IDLE, 200);
    r.run(30, 270);
    expect(r.verdict(0)).toBe("ok");
    r.run(280, 290);
    expect(r.verdict(0)).toBe("dead");
  });
  test("IDLE with no promise (0) is never judged", () => {
    const r = region(1);
    r.setState(0, SLOT_STATE.IDLE, 0);
    r.run(0, 10_000);
    expect(r.verdict(0)).toBe("ok");
  });
  test.each([["parked", SLOT_STATE.PARKED], ["exited", SLOT_STATE.EXITED], ["unused", SLOT_STATE.UNUSED]])("%s cores never alarm", (_n, st) => {
    const r = region(1);
    r.setState(0, st);
    const seen = new Set<string>();
    for (let t = 0; t < 5_000; t += 10) {
      r.a.scan(t);
      seen.add(r.verdict(0)!);
    }
    expect([...seen]).toEqual(["unmonitored"]);
  });
  test("a counter that goes backwards is corrupt, and stays corrupt until a relaunch", () => {
    const r = region(1);
    r.run(0, 20, [0]);
    r.beat(0, -5);
    r.a.scan(30);
    expect(r.verdict(0)).toBe("corrupt");
    r.run(40, 100, [0]);
    expect(r.verdict(0)).toBe("corrupt");
    r.w[r.at(0, SW.launchGen)]!++;
    r.run(110, 120, [0]);
    expect(r.verdict(0)).toBe("ok");
  });
  test("32-bit wrap-around of the low word is a beat, not corruption", () => {
    const r = region(1);
    r.w[r.at(0, SW.beatLo)] = 0xfffffff0;
    r.run(0, 10);
    r.beat(0, 0x20);
    r.a.scan(20);
    expect(r.verdict(0)).toBe("ok");
  });
  test("an unknown state value is corrupt; a bad cold-line CRC is corrupt", () => {
    const r = region(2);
    r.setState(0, 9);
    r.meta[1] = 0; // the CRC result is taken when the region is attached
    const a = new Assessor(r.w, r.meta, 2, POLICY);
    a.scan(0);
    expect([VERDICT_NAMES[a.verdict[0]!], VERDICT_NAMES[a.verdict[1]!]]).toEqual(["corrupt", "corrupt"]);
  });
  test("a late scan (the monitor itself was starved) counts only what an on-time scan would have seen", () => {
    const r = region(1);
    r.run(0, 40, [0]);
    r.a.scan(1_000); // 960 ms late: far past deadMs, but most of that silence the monitor did not watch
    expect(r.verdict(0)).toBe("ok");
    expect(r.a.lateScans).toBe(1);
    expect(r.a.ageMs(0, 1_000)).toBe(30); // it beat at 40; of the 960 ms since, 30 are vouched for (3 periods)
    r.run(1_010, 1_210);
    expect(r.verdict(0)).toBe("suspect");
    r.a.scan(1_220);
    expect(r.verdict(0)).toBe("dead"); // 30 + 220 ms of silence watched ≥ deadMs
  });
  test("a stall is not missed when every scan comes late (a loaded machine): the silence between reads adds up", () => {
    const r = region(1);
    r.run(0, 40, [0]);
    // The core stops for 400 ms; the monitor now reads every 35 ms (3.5 periods: each read late).
    let dead = -1;
    for (let t = 75; t <= 440 && dead < 0; t += 35) if (r.a.scan(t) && r.verdict(0) === "dead") dead = t;
    // Each late read vouches for 30 ms: 250 ms of silence takes 9 reads, not one 960 ms read.
    expect(dead).toBeGreaterThan(0);
    expect(r.a.lateScans).toBeGreaterThanOrEqual(8);
    // The old rule (rebase on every late scan) never called it dead at all.
  });
  test("a core starved with the monitor is not called dead on time the monitor did not watch", () => {
    const r = region(1);
    r.run(0, 40, [0]);
    r.a.scan(5_000); // a 5 s pause of the whole machine (a paused VM): the core did not run either
    expect(r.verdict(0)).toBe("ok");
    r.beat(0); // it runs again as soon as the machine does
    r.a.scan(5_010);
    expect(r.verdict(0)).toBe("ok");
  });
  test("a late scan does not clear a dead verdict either", () => {
    const r = region(1);
    r.run(0, 300);
    expect(r.verdict(0)).toBe("dead");
    r.a.scan(2_000);
    expect(r.verdict(0)).toBe("dead");
    // Nor the scans after it: no beat came, so nothing says the core is back (it once flapped to ok here,
    // a false recovery and then a second failure, whenever the monitor hiccuped for 3 ticks).
    let transitions = 0;
    for (let t = 2_010; t <= 2_100; t += 10) transitions += r.a.scan(t);
    expect(r.verdict(0)).toBe("dead");
    expect(transitions).toBe(0);
    expect(r.a.ageMs(0, 2_100)).toBeGreaterThanOrEqual(2_000); // its silence is not forgotten
    r.beat(0);
    r.a.scan(2_110);
    expect(r.verdict(0)).toBe("ok");
  });
  test("a suspect core stays suspect across a late scan until it beats (its counted silence only grows)", () => {
    const r = region(1);
    r.run(0, 40, [0]);
    r.run(50, 110);
    expect(r.verdict(0)).toBe("suspect");
    r.a.scan(500); // late: only 30 ms of the gap counted, so our pause cannot make it dead...
    expect(r.verdict(0)).toBe("suspect"); // ...but not ok either
    r.run(510, 600);
    expect(r.verdict(0)).toBe("suspect");
    r.run(610, 700);
    expect(r.verdict(0)).toBe("dead"); // 70 + 30 + 200 ms of watched silence
    const s = region(1);
    s.run(0, 40, [0]);
    s.run(50, 110);
    s.a.scan(500);
    s.run(510, 530, [0]);
    expect(s.verdict(0)).toBe("ok"); // a beat clears it
    s.run(540, 570); // 40 ms without a beat: under suspectMs, so ok
    expect(s.verdict(0)).toBe("ok");
  });
  test("transitions are reported once, not on every scan", () => {
    const r = region(1);
    let transitions = 0;
    for (let t = 0; t <= 1_000; t += 10) transitions += r.a.scan(t);
    expect(transitions).toBe(3); // (none) → ok → suspect → dead
  });
});
