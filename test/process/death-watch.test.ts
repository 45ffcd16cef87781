/**
 * The death watcher (process/death-watch.ts, a pidfd each on a thread of
 * its own) and what makes a rare liveness backstop safe: each pidfd, once
 * open, is reported (`watching`) and the supervisor checks the pid is still
 * the process it adopted (`verify`: a pid reused before the open carries
 * another start time); a watcher thread that ends unasked turns `usable`
 * false, so the supervisor polls at its full rate again.
 */
import { expect, test } from "bun:test";
import { DeathWatch } from "../../src/process/death-watch.ts";
import { FakeProcesses } from "../../src/process/fake.ts";
import { LIVENESS_BACKSTOP_MS, LIVENESS_MS, Supervisor, type ExitInfo } from "../../src/process/supervisor.ts";
import { until } from "../helpers/wait.ts";

test("a real process: its pidfd is reported open (watching), then its death (died)", async () => {
  const seen: string[] = [];
  const w = new DeathWatch((pid) => seen.push(`died ${pid}`), (pid) => seen.push(`watching ${pid}`));
  const p = Bun.spawn(["/bin/sleep", "30"], { stdio: ["ignore", "ignore", "ignore"] });
  w.add(p.pid);
  await until(async () => seen.includes(`watching ${p.pid}`), "watching");
  expect(w.usable).toBe(true);
  p.kill("SIGKILL");
  await until(async () => seen.includes(`died ${p.pid}`), "died");
  expect(seen).toEqual([`watching ${p.pid}`, `died ${p.pid}`]);
  w.close();
});

test("verify: the adopted pid still names the same process → kept; it names another (reused before the pidfd opened) → gone", () => {
  const pc = new FakeProcesses();
  const exits: ExitInfo[] = [];
  const sup = new Supervisor({ onExit: (i) => exits.push(i), log: () => {}, control: pc, deaths: { add() {}, remove() {}, usable: true } });
  const a = pc.external();
  const b = pc.external();
  expect(sup.adopt("a", a.pid, a.startTime, false)).toBe(true);
  expect(sup.adopt("b", b.pid, b.startTime, false)).toBe(true);
  sup.verify(a.pid);
  expect(exits).toEqual([]);
  // b's pid now belongs to a process that started later: the pidfd the watcher opened is that one's.
  pc.procs.get(b.pid)!.startTime = b.startTime + 1000;
  sup.verify(b.pid);
  expect(exits.map((e) => e.name)).toEqual(["b"]);
  expect(exits[0]!.how).toContain("vanished");
  expect(sup.livenessMs).toBe(LIVENESS_BACKSTOP_MS);
});

test("a watcher thread that ends unasked: usable turns false, and the supervisor's poll is back at its full rate", async () => {
  const w = new DeathWatch(() => {});
  const p = Bun.spawn(["/bin/sleep", "30"], { stdio: ["ignore", "ignore", "ignore"] });
  w.add(p.pid);
  expect(w.usable).toBe(true);
  const sup = new Supervisor({ onExit: () => {}, log: () => {}, control: new FakeProcesses(), deaths: w });
  expect(sup.livenessMs).toBe(LIVENESS_BACKSTOP_MS);
  (w as unknown as { worker: Worker }).worker.terminate(); // fault injection: the thread is gone
  await until(async () => !w.usable, "usable false");
  expect(sup.livenessMs).toBe(LIVENESS_MS);
  p.kill("SIGKILL");
  await p.exited;
});

test("close() is not a loss: usable stays true after the watcher is told to stop", async () => {
  const w = new DeathWatch(() => {});
  const p = Bun.spawn(["/bin/sleep", "30"], { stdio: ["ignore", "ignore", "ignore"] });
  w.add(p.pid);
  w.close();
  await w.stopped(); // the thread has ended (its close event came): a loss it was not
  expect(w.usable).toBe(true);
  p.kill("SIGKILL");
  await p.exited;
});
