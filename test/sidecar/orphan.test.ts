/**
 * Adoption of a daemon left behind by a SIGKILLed sidecar: the pure decision,
 * table-tested, and the /proc scan against real processes carrying the mark.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { findMarked, ownerMark, OWNER_VAR, planAdoption, sidecarFor, type Marked } from "../../src/process/adopt.ts";

const ARGV = ["/usr/sbin/bgpd", "-d"];
const m = (pid: number, ppid: number, startTime: number, argv: string[] = ARGV): Marked => ({ pid, ppid, pgrp: pid, uid: 0, startTime, argv });
const noOwner = () => null;

describe("planAdoption", () => {
  test("nothing found: start a fresh daemon", () => {
    expect(planAdoption([], ARGV, noOwner)).toEqual({ adopt: null, stop: [], refuse: null });
  });
  test("one orphan with the same argv: adopt it", () => {
    const o = m(100, 1, 5);
    expect(planAdoption([o], ARGV, noOwner)).toEqual({ adopt: o, stop: [], refuse: null });
  });
  test("its own children (parent marked too) are left to it", () => {
    const o = m(100, 1, 5);
    const child = m(101, 100, 6, ["/usr/sbin/bgpd", "-d"]);
    expect(planAdoption([o, child], ARGV, noOwner)).toEqual({ adopt: o, stop: [], refuse: null });
  });
  test("another argv (the configuration changed): stop it, start ours", () => {
    const o = m(100, 1, 5, ["/usr/sbin/bgpd", "-d", "-p", "1179"]);
    expect(planAdoption([o], ARGV, noOwner)).toEqual({ adopt: null, stop: [o], refuse: null });
  });
  test("two copies: the oldest is adopted, the other stopped", () => {
    const young = m(100, 1, 9);
    const old = m(200, 1, 5);
    expect(planAdoption([young, old], ARGV, noOwner)).toEqual({ adopt: old, stop: [young], refuse: null });
  });
  test("a live sidecar still owns it: refuse, touch nothing", () => {
    const o = m(100, 77, 5);
    const plan = planAdoption([o], ARGV, (ppid) => (ppid === 77 ? 77 : null));
    expect(plan.adopt).toBeNull();
    expect(plan.stop).toEqual([]);
    expect(plan.refuse).toBe("its daemon (pid 100) is owned by a running sidecar (pid 77)");
  });
});

describe("the /proc scan", () => {
  const mark = ownerMark("scan-test", `/tmp/nowhere-${process.pid}.sock`);
  const procs: Bun.Subprocess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
  });

  test("finds exactly the processes carrying this mark, with parent, start time and argv", async () => {
    const mine = Bun.spawn(["sleep", "30"], { env: { ...process.env, [OWNER_VAR]: mark } });
    const other = Bun.spawn(["sleep", "31"], { env: { ...process.env, [OWNER_VAR]: ownerMark("scan-test", "/tmp/other.sock") } });
    const plain = Bun.spawn(["sleep", "32"]);
    procs.push(mine, other, plain);
    await Bun.sleep(50); // until exec has replaced the forked image
    const found = findMarked(mark);
    expect(found.map((f) => [f.pid, f.ppid, f.argv])).toEqual([[mine.pid, process.pid, ["sleep", "30"]]]);
    expect(found[0]!.startTime).toBeGreaterThan(0);
  });

  test("sidecarFor recognises `component --name N` in either spelling, and nothing else", async () => {
    const a = Bun.spawn(["sh", "-c", "sleep 30; :", "component", "--name", "scan-test"]);
    const b = Bun.spawn(["sh", "-c", "sleep 30; :", "component", "--name=scan-test"]);
    const c = Bun.spawn(["sh", "-c", "sleep 30; :", "component", "--name", "other"]);
    const d = Bun.spawn(["sh", "-c", "sleep 30; :", "monitor", "--name", "scan-test"]);
    procs.push(a, b, c, d);
    await Bun.sleep(50);
    const is = sidecarFor("scan-test");
    expect([is(a.pid), is(b.pid), is(c.pid), is(d.pid), is(999_999_999)]).toEqual([a.pid, b.pid, null, null, null]);
  });
});
