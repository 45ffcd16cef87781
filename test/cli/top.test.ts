/**
 * `hamon top` on a real pseudo-terminal (tmux): it starts and shows the
 * node, the components and the fast path's cores; a stalled core appears as
 * dead, with its event; a resize re-fits the screen; a monitor restart is
 * ridden through; `q` leaves the terminal as it was. Without a terminal it
 * refuses, with a clear message. The pure screen (src/render/top.ts) is
 * checked for its size limits and its order.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { coarseAge, renderTop, type TopModel } from "../../src/render/top.ts";
import type { ComponentStatus } from "../../src/protocol/messages.ts";
import { startSim, tmpPath, type Sim } from "../helpers/hbsim.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { demoArgv, startWatched, type Watched } from "../helpers/watched.ts";
import { until } from "../helpers/wait.ts";

const TMUX = Bun.which("tmux");
// .ci/run installs tmux: in CI a skip would hide a broken install, so it fails instead.
if (!TMUX && process.env.CI) throw new Error("tmux not found (.ci/run installs it)");

const comp = (name: string, state: string, health = "ok"): ComponentStatus =>
  ({ name, kind: "static", plane: "control", state, health, pid: 1, ageMs: 5_000, restarts: 0, reason: "" }) as ComponentStatus;

describe("the screen (pure)", () => {
  const model = (n: number): TopModel => ({
    monitor: { pid: 42, version: "t", uptimeMs: 61_000, node: { health: "yellow", penalty: 10, reason: "c3 down" } } as TopModel["monitor"],
    components: Array.from({ length: n }, (_, i) => comp(`c${i}`, i === 3 ? "down" : "up")),
    cores: new Map([["fp", Array.from({ length: 8 }, (_, i) => ({ slot: i, lcore: i + 1, name: `w${i}`, state: "running", verdict: i === 5 ? "dead" : "ok", ageMs: i === 5 ? 2_500 : 1 }))]]) as TopModel["cores"],
    events: Array.from({ length: 50 }, (_, i) => ({ time: 0, component: `c${i}`, event: "check-ok", level: "", reason: "x".repeat(300) })),
    readAtMs: 1_000,
    connection: "",
  });

  test("never wider or taller than the terminal; the troubled component first; a dead core with its growing age", () => {
    for (const [cols, rows] of [[120, 40], [80, 24], [40, 10], [200, 60]] as const) {
      const lines = renderTop(model(1_000), { cols, rows }, 3_000);
      expect(lines.length).toBeLessThanOrEqual(rows);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(cols);
    }
    const lines = renderTop(model(1_000), { cols: 120, rows: 40 }, 3_000);
    expect(lines[4]).toStartWith("c3 "); // down, ahead of 999 healthy ones
    expect(lines.some((l) => /… \d+ more \(999 up and ok in all\)/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes("5:w5 dead 4s"))).toBe(true); // 2.5 s at the read + 2 s since
    expect(lines.some((l) => l.includes("0:w0 ok") && !l.includes("0:w0 ok 0s"))).toBe(true);
  });

  test("ages move by whole units: the same frame for a second, then one change", () => {
    const m = model(5);
    expect(renderTop(m, { cols: 100, rows: 30 }, 1_100)).toEqual(renderTop(m, { cols: 100, rows: 30 }, 1_400));
    expect(renderTop(m, { cols: 100, rows: 30 }, 1_100)).not.toEqual(renderTop(m, { cols: 100, rows: 30 }, 2_100));
    expect([coarseAge(59_999), coarseAge(119_999), coarseAge(120_000), coarseAge(7_200_000)]).toEqual(["59s", "119s", "2m", "2h"]);
  });

  test("peer text cannot reach the terminal as a control sequence", () => {
    const m = model(1);
    m.events = [{ time: 0, component: "evil\u001b[2J", event: "x", level: "", reason: "\u001b]0;owned\u0007" }];
    for (const l of renderTop(m, { cols: 100, rows: 30 }, 0)) expect(l).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe.skipIf(!TMUX)("hamon top on a real terminal (tmux)", () => {
  const session = `hamon-top-${process.pid}`;
  let w: Watched;
  let sim: Sim;
  let stateDir: string;
  const tmux = (...a: string[]) => Bun.spawnSync([TMUX!, ...a], { stdout: "pipe", stderr: "pipe" });
  const screen = () => tmux("capture-pane", "-p", "-t", session).stdout.toString();
  const config = () => `[monitor]\ntick_ms = 5\n[[component]]\nname = "routed"\nstart = ${demoArgv("routed")}\n[[fastpath]]\nname = "fp0"\nheartbeat = "${hb}"\nsuspect_ms = 40\ndead_ms = 120\ngrace_ms = 0\nladder = []\nflap_restarts = 1000\n`;
  const hb = tmpPath();

  beforeAll(async () => {
    sim = await startSim(hb, 2);
    w = await startWatched(config());
    stateDir = w.stateDir;
    // A shell around it: after `q` the pane must show the shell's lines, not a frame.
    const cmd = `sh -c 'echo BEFORE-TOP; ${process.execPath} ${MAIN} top --socket ${w.sock}; echo AFTER-TOP rc=$?; sleep 120'`;
    expect(tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "32", cmd).exitCode).toBe(0);
  });

  afterAll(async () => {
    tmux("kill-session", "-t", session);
    await w?.close();
    await sim?.kill();
  });

  test("start: the node, the components, the fast path's cores", async () => {
    await until(() => screen().includes("fast path fp0: 2 cores, all ok") && /routed +up/.test(screen()), "the first screen", 20_000, screen);
    expect(screen()).toMatch(/^hamon top: monitor pid \d+, up \d+s, 2 components/);
    expect(screen()).toContain("node green");
  });

  test("a stalled core: shown dead, with its event; resumed: all ok again", async () => {
    expect(await sim.send("stall 1")).toMatch(/^ok/);
    await until(() => /1:\S* dead \d+s/.test(screen()) && /fp0 +core-dead/.test(screen()) && screen().includes("node red"), "the dead core on screen", 10_000, screen);
    expect(await sim.send("resume 1")).toMatch(/^ok/);
    await until(() => screen().includes("fast path fp0: 2 cores, all ok") && /fp0 +cores-ok/.test(screen()), "ok again", 10_000, screen);
  });

  test("a resize: the screen is re-fitted at once", async () => {
    expect(tmux("resize-window", "-t", session, "-x", "50", "-y", "14").exitCode).toBe(0);
    await until(() => { const s = screen().split("\n"); return s[0]!.startsWith("hamon top") && s.length <= 15 && s.some((l) => l.endsWith("…")); }, "fitted to 50×14", 5_000, screen);
    for (const l of screen().split("\n")) expect(l.length).toBeLessThanOrEqual(50);
    tmux("resize-window", "-t", session, "-x", "110", "-y", "32");
    await until(() => screen().includes("LAST EVENTS") && /routed +up/.test(screen()), "back to 110×32", 5_000, screen);
  });

  test("a monitor restart: 'reconnecting' on screen, then the new monitor", async () => {
    const old = w.proc.pid;
    expect(await w.close()).toBe(0);
    await until(() => screen().includes("reconnecting"), "the lost connection shown", 10_000, screen);
    w = await startWatched(config(), stateDir, w.sock);
    await until(() => screen().includes(`monitor pid ${w.proc.pid},`) && !screen().includes("reconnecting"), "the new monitor's pid", 20_000, screen);
    expect(w.proc.pid).not.toBe(old);
  }, 40_000);

  test("q: leaves the terminal as it was (the frame gone, the shell's lines back), exit 0", async () => {
    tmux("send-keys", "-t", session, "q");
    await until(() => screen().includes("AFTER-TOP rc=0"), "top exited", 5_000, screen);
    expect(screen()).toContain("BEFORE-TOP");
    expect(screen()).not.toContain("hamon top:");
  });
});

test("without a terminal: refused with a clear message, exit 2", () => {
  const r = Bun.spawnSync([process.execPath, MAIN, "top", "--socket", join("/nonexistent", "s")], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString()).toContain("hamon top: needs a terminal");
  expect(r.stderr.toString()).toContain("hamon status");
  expect(r.stdout.toString()).toBe("");
});
