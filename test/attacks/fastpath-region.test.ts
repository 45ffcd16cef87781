/**
 * Attack and failure: an owned fast path's data path must be proven by its
 * own region. A new instance that never publishes one is down (the node red)
 * once its ready timeout passes, never green on the strength of a running
 * process; a region planted by another user, or written by a process that
 * is not the fast path's, is refused.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hbsimBinary } from "../helpers/hbsim.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { pidOf, startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const procs: Bun.Subprocess[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const p of procs.splice(0)) p.kill("SIGKILL");
});

function check(w: Watched): number | null {
  return Bun.spawnSync([process.execPath, MAIN, "check", "--socket", w.sock], { stdout: "pipe", stderr: "pipe" }).exitCode;
}

describe("an owned fast path is up only with a live region of its own", () => {
  test("restarted, its new instance never publishes: starting, then down and red at its ready timeout; never up/ok", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-fpnone-"));
    const hb = join(dir, "dp.hb");
    const mark = join(dir, "ran-once");
    // The first instance publishes and beats; every later one runs but never publishes (a data path that never came up).
    const script = `if [ -e ${mark} ]; then exec sleep 600; else touch ${mark}; exec "$0" "$@"; fi`;
    const argv = ["/bin/sh", "-c", script, process.execPath, MAIN, "demo-fastpath", "--heartbeat", hb, "--cores", "2"];
    const w = await startWatched(`[monitor]\nstop_on_exit = true\nstop_timeout_ms = 500\n[[fastpath]]\nname = "dp"\nheartbeat = "${hb}"\nstart = ${JSON.stringify(argv)}\ngrace_ms = 0\n`);
    running.push(w);
    await until(async () => (await stateOf(w, "dp")) === "up/ok", "the first instance's region attached", 15_000, () => w.stderr());
    const first = await pidOf(w, "dp");
    const at = w.events.length;
    process.kill(first, "SIGKILL");
    await w.waitEvent((e) => e.component === "dp" && e.event === "started", "restarted", at, 15_000);
    await until(async () => (await stateOf(w, "dp")).startsWith("starting"), "starting (its process runs, no region yet)", 5_000);
    expect(await stateOf(w, "dp")).not.toBe("up/ok");
    // The ready timeout (10 s) passes with no region: a failure, down; hamon check is not OK.
    await until(async () => (await stateOf(w, "dp")).startsWith("down"), "down at its ready timeout", 20_000, () => w.stderr());
    expect(check(w)).not.toBe(0);
    // The node verdict is judged every 500 ms: red once it has looked.
    await until(async () => { const r = await w.cmd("status"); return r.type === "result" && r.monitor?.node?.health === "red"; }, "the node red", 5_000, () => w.stderr());
    expect(await stateOf(w, "dp")).not.toBe("up/ok");
  }, 60_000);

  test("a region planted by another user (nobody) at the owned fast path's heartbeat path is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-fpplant-"));
    chmodSync(dir, 0o1777);
    const hb = join(dir, "dp.hb");
    // The attacker publishes first, a valid region with beating cores of its own.
    const sim = Bun.spawn(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", hbsimBinary(), hb, "2", "--plain"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    procs.push(sim);
    await until(() => existsSync(hb), "the planted region");
    const w = await startWatched(`[monitor]\nstop_on_exit = true\nstop_timeout_ms = 500\n[[fastpath]]\nname = "dp"\nheartbeat = "${hb}"\nstart = ["/bin/sleep", "600"]\ngrace_ms = 0\n`);
    running.push(w);
    await until(() => /heartbeat-invalid|refused/.test(w.stderr()), "the planted region refused", 10_000, () => w.stderr());
    expect(w.stderr()).toContain("(refused)");
    expect(await stateOf(w, "dp")).not.toBe("up/ok");
  }, 30_000);
});
