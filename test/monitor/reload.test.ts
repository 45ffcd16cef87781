/**
 * `hamon reload` and SIGHUP on real processes: a component added starts, one
 * removed is stopped and forgotten (journal included: a restarted monitor
 * does not wait for it), a changed argv restarts the daemon with its new
 * command line, a broken file changes nothing and the monitor lives.
 */
import { afterEach, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { MAIN } from "../helpers/monitor-proc.ts";
import { startWatched, until, type Watched } from "../helpers/watched.ts";
import { alive } from "../helpers/wait.ts";

const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close().catch(() => 0);
});

const daemon = (name: string, secs: number) => `[[component]]\nname = "${name}"\nstart = ["/bin/sleep", "${secs}"]\nready = "started"\n`;
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");

async function rows(w: Watched): Promise<Map<string, { state: string; pid: number }>> {
  const r = await w.cmd("status");
  return new Map(r.type === "result" ? r.components.map((c) => [c.name, { state: c.state, pid: c.pid }]) : []);
}

function reload(w: Watched): { code: number; out: string } {
  const r = Bun.spawnSync([process.execPath, MAIN, "reload", "--socket", w.sock], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
}

test("reload: added starts, removed is stopped and forgotten, a changed argv restarts with the new command line, a broken file changes nothing", async () => {
  const w = await startWatched(`[monitor]\nstop_on_exit = true\n${daemon("a", 600)}${daemon("b", 600)}`);
  running.push(w);
  await until(async () => [...(await rows(w)).values()].filter((r) => r.state === "up").length === 2, "a and b up");
  const before = await rows(w);
  const aPid = before.get("a")!.pid;
  const bPid = before.get("b")!.pid;

  writeFileSync(w.configPath, `[monitor]\nstop_on_exit = true\n${daemon("a", 601)}${daemon("c", 602)}`);
  const r = reload(w);
  expect(r.code).toBe(0);
  expect(r.out).toContain("added c");
  expect(r.out).toContain("removed b");
  expect(r.out).toContain("restarted with a new spec a");
  await until(() => !alive(bPid), "b's process stopped");
  await until(async () => {
    const now = await rows(w);
    return !now.has("b") && now.get("c")?.state === "up" && now.get("a")?.state === "up" && now.get("a")?.pid !== aPid;
  }, "c up, b forgotten, a restarted");
  const after = await rows(w);
  expect(cmdline(after.get("a")!.pid)).toBe("/bin/sleep 601");
  expect(cmdline(after.get("c")!.pid)).toBe("/bin/sleep 602");
  expect((await w.cmd("status", "b")).type).toBe("error"); // E_NOT_FOUND
  expect(w.events.filter((e) => e.event === "reloaded").length).toBe(1);

  // A broken file: refused, nothing changes, the monitor lives.
  writeFileSync(w.configPath, `[monitor]\nstop_on_exit = true\n${daemon("a", 603)}[[component]]\nname = = "d"\n`);
  const bad = reload(w);
  expect(bad.code).not.toBe(0);
  expect(bad.out).toContain("TOML syntax at line");
  expect(bad.out).toContain("nothing changed");
  expect(await rows(w)).toEqual(after);
  expect((await w.cmd("ping")).type).toBe("ok");

  // SIGHUP does the same as hamon reload.
  writeFileSync(w.configPath, `[monitor]\nstop_on_exit = true\n${daemon("a", 601)}${daemon("c", 602)}${daemon("d", 604)}`);
  w.proc.kill("SIGHUP");
  await w.waitEvent((e) => e.component === "d" && e.event === "started", "d started by SIGHUP");
  expect((await rows(w)).get("a")!.pid).toBe(after.get("a")!.pid); // unchanged: not restarted

  // The removed component is gone from the journal too: a restarted monitor does not wait for it.
  w.proc.kill("SIGKILL");
  await w.proc.exited;
  running.length = 0;
  const w2 = await startWatched(readFileSync(w.configPath, "utf8"), w.stateDir, w.sock);
  running.push(w2);
  await until(async () => (await rows(w2)).get("d")?.state === "up", "the next monitor adopts d");
  expect((await rows(w2)).has("b")).toBe(false);
}, 60_000);
