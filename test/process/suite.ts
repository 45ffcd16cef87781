/**
 * One suite for every ProcessControl: what the monitor, the sidecar and the
 * hooks rely on, run against the real processes and the fake alike
 * (test/process/control.test.ts), so a test written on the fake means what
 * it says on a real machine.
 */
import { describe, expect, test } from "bun:test";
import type { ProcessControl } from "../../src/process/control.ts";
import { Supervisor, type ExitInfo } from "../../src/process/supervisor.ts";
import { OwnedDaemon } from "../../src/process/sidecar-daemon.ts";
import { runWithDeadline } from "../../src/process/run.ts";
import { until } from "../helpers/wait.ts";

export interface Programs {
  /** Exits with status 3 at once. */
  exit3: string[];
  /** Runs until signalled. */
  sleep: string[];
  /** Ignores SIGTERM; only SIGKILL ends it. */
  ignoreTerm: string[];
  /** Cannot be executed. */
  missing: string[];
}

export interface Harness {
  pc: ProcessControl;
  programs: Programs;
  vanish(pid: number): void;
  crash(pid: number): void;
  /** Resolves once an ignoreTerm process has set SIGTERM to ignored (a real shell needs a moment). */
  ignoringTerm(pid: number): Promise<void>;
}

export function processControlSuite(name: string, make: () => Harness): void {
  describe(`ProcessControl: ${name}`, () => {
    test("spawn: pid and start time identify it; its exit status is reported", async () => {
      const { pc, programs } = make();
      const p = pc.spawn(programs.exit3);
      expect(p.pid).toBeGreaterThan(0);
      expect(await p.exited).toMatchObject({ code: 3, signal: null, status: 3, how: "exited with status 3" });
      const s = pc.spawn(programs.sleep);
      expect(pc.startTime(s.pid)).toBe(s.startTime);
      expect(pc.exists(s.pid)).toBe(true);
      pc.signal(s.pid, "SIGTERM", true);
      expect(await s.exited).toMatchObject({ signal: "SIGTERM", status: 143, how: "killed by SIGTERM" });
      expect(pc.startTime(s.pid)).toBeNull();
    });

    test("a binary that cannot run throws at spawn", () => {
      const { pc, programs } = make();
      expect(() => pc.spawn(programs.missing)).toThrow();
    });

    test("supervisor: an owned daemon's death is reported once; a stop is not a death; SIGTERM ignored → SIGKILL after the timeout", async () => {
      const { pc, programs, crash, ignoringTerm } = make();
      const exits: ExitInfo[] = [];
      const sup = new Supervisor({ control: pc, onExit: (x) => exits.push(x), log: () => {} });
      const pid = sup.spawn("a", programs.sleep, {});
      expect(sup.owns("a")).toBe(true);
      crash(pid);
      await until(() => exits.length === 1, "the death reported");
      expect(exits[0]).toMatchObject({ name: "a", pid, how: "killed by SIGKILL" });
      sup.spawn("b", programs.sleep, {});
      expect(await sup.stop("b", null, 2_000, {})).toBe("stopped");
      const stubborn = sup.spawn("c", programs.ignoreTerm, {});
      await ignoringTerm(stubborn);
      expect(await sup.stop("c", null, 100, {})).toBe("killed after 100 ms");
      expect(pc.exists(stubborn)).toBe(false);
      expect(exits.length).toBe(1);
    });

    test("supervisor: an adopted process is watched by pid and start time; its vanishing is a death", async () => {
      const { pc, programs, vanish } = make();
      const exits: ExitInfo[] = [];
      const sup = new Supervisor({ control: pc, onExit: (x) => exits.push(x), log: () => {} });
      const outside = pc.spawn(programs.sleep);
      expect(sup.adopt("x", outside.pid, outside.startTime + 1, true)).toBe(false); // another process on a recycled pid
      expect(sup.adopt("x", outside.pid, outside.startTime, true)).toBe(true);
      vanish(outside.pid);
      await until(() => (sup.poll(), exits.length > 0), "the vanishing seen by the liveness poll");
      expect(exits).toMatchObject([{ name: "x", how: "vanished (no longer running)" }]);
    });

    test("owned daemon (the sidecar's): start, stop with SIGTERM, adopt, gone", async () => {
      const { pc, programs, vanish } = make();
      const d = new OwnedDaemon(programs.sleep, { MARK: "1" }, pc);
      const pid = d.start();
      expect(d.running).toBe(true);
      expect(await d.stop(1_000)).toMatchObject({ code: 143, why: "killed by SIGTERM" });
      const other = pc.spawn(programs.sleep);
      const a = new OwnedDaemon(programs.sleep, {}, pc);
      a.adopt(other.pid, other.startTime);
      expect(a.pid).toBe(other.pid);
      vanish(other.pid);
      expect(await a.ended).toMatchObject({ code: 1, why: `process ${other.pid} is gone` });
      expect(pid).toBeGreaterThan(0);
    });

    test("run with a deadline: the result, a timeout that kills the group, a missing binary", async () => {
      const { pc, programs } = make();
      expect((await runWithDeadline(programs.exit3, { timeoutMs: 5_000, control: pc })).exit?.code).toBe(3);
      const slow = await runWithDeadline(programs.sleep, { timeoutMs: 50, control: pc });
      expect(slow).toMatchObject({ timedOut: true, exit: { signal: "SIGKILL" } });
      const none = await runWithDeadline(programs.missing, { timeoutMs: 50, control: pc });
      expect(none.exit).toBeNull();
      expect(none.startError).toBeTruthy();
    });
  });
}
