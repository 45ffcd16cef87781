/**
 * An operator's hold (`hamon stop NAME` / `hamon start NAME`, as `sv down` /
 * `sv up`): the daemon is stopped and not watched, the hold is journaled and
 * survives a kill -9 of the monitor, a held component is not a weakness of
 * the node, and `start` brings it back. On real processes.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWatched, until, type Watched } from "../helpers/watched.ts";
import { alive } from "../helpers/wait.ts";

const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close().catch(() => 0);
});


test("stop holds a daemon across a kill -9 of the monitor; start brings it back", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "hamon-hold-"));
  const toml = `[[component]]\nname = "nginx"\nplane = "system"\nstart = ["/bin/sleep", "600"]\nready = "started"\n[[component]]\nname = "zebra"\nstart = ["/bin/sleep", "600"]\nready = "started"\n`;
  const w = await startWatched(toml, stateDir);
  running.push(w);
  const row = async (m: Watched, name: string) => {
    const r = await m.cmd("status", name);
    return r.type === "result" ? r : null;
  };
  const pid = (await row(w, "nginx"))!.components[0]!.pid;
  expect(alive(pid)).toBe(true);

  const mark = w.events.length; // the stream holds everything from the monitor's start (its initial starts too)
  const held = await w.cmd("stop", "nginx");
  expect(held.type === "result" && held.detail).toContain("held (stopped)");
  expect(alive(pid)).toBe(false);
  const r1 = await row(w, "nginx");
  expect(r1!.components[0]).toMatchObject({ state: "held" });
  expect(r1!.monitor?.node?.health).toBe("green"); // held for maintenance: not a weakness of the node
  expect((await w.cmd("restart", "nginx")).type === "error").toBe(true); // restart keeps its meaning: it does not end a hold
  await Bun.sleep(300);
  expect(w.events.slice(mark).filter((e) => e.component === "nginx" && ["recover", "started", "exited"].includes(e.event))).toEqual([]);

  // kill -9 of the monitor: the next one finds the hold in the journal.
  w.proc.kill("SIGKILL");
  await w.proc.exited;
  running.length = 0;
  const w2Started = performance.now();
  const w2 = await startWatched(toml, stateDir, w.sock);
  running.push(w2);
  await until(async () => (await row(w2, "zebra"))?.components[0]?.state === "up", "zebra adopted");
  // AGE of a daemon that never registers is its process's age: older than the monitor that just adopted it.
  expect((await row(w2, "zebra"))!.components[0]!.ageMs).toBeGreaterThan(performance.now() - w2Started);
  const r2 = await row(w2, "nginx");
  expect(r2!.components[0]).toMatchObject({ state: "held" });
  await Bun.sleep(500);
  expect(w2.events.filter((e) => e.component === "nginx" && e.event === "started")).toEqual([]);

  const back = await w2.cmd("start", "nginx");
  expect(back.type === "result" && back.detail).toContain("released");
  await w2.waitEvent((e) => e.component === "nginx" && e.event === "started", "started again");
  const r3 = await row(w2, "nginx");
  expect(r3!.components[0]).toMatchObject({ state: "up" });
  expect(alive(r3!.components[0]!.pid)).toBe(true);
  expect((await w2.cmd("start", "nginx")).type).toBe("error"); // not held any more: E_STATE
}, 40_000);
