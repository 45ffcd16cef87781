/**
 * The HA-engine adapters on a real monitor process: a simulated fast path
 * (hbsim, compiled C) is stalled and resumed; the keepalived track files and
 * the Prometheus textfile and HTTP endpoint must follow the node verdict, and
 * Prometheus's own promtool must find both clean. (Pacemaker's adapter runs
 * against a real cluster: test/integrations/cluster.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSim, tmpPath, type Sim } from "../helpers/hbsim.ts";
import { startWatched, type Watched } from "../helpers/watched.ts";
import { until } from "../helpers/wait.ts";

const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : "(missing)");
/** Every sample line of the text exposition format: name, optional labels, a number. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|[+-]Inf|NaN)$/;

const PROMTOOL = Bun.which("promtool");
// .ci/run installs prometheus (promtool): in CI a skip would hide a broken install.
if (!PROMTOOL && process.env.CI) throw new Error("promtool not found (Debian package prometheus)");

/** `promtool check metrics` reads stdin: "" when clean, else its findings. */
function promtool(text: string): string {
  if (!PROMTOOL) return "";
  const r = Bun.spawnSync([PROMTOOL, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  return r.exitCode === 0 ? "" : `exit ${r.exitCode}: ${r.stdout}${r.stderr}`;
}

describe("adapters follow the node verdict (keepalived files, Prometheus)", () => {
  let w: Watched;
  let sim: Sim;
  let ka: string;
  let prom: string;
  let port: number;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-adapters-"));
    ka = join(dir, "ka");
    prom = join(dir, "textfile", "hamon.prom");
    port = 20_000 + Math.floor(Math.random() * 30_000);
    const hb = tmpPath();
    sim = await startSim(hb, 2);
    w = await startWatched([
      "[monitor]", "tick_ms = 5",
      "[keepalived]", `dir = "${ka}"`,
      "[prometheus]", `textfile = "${prom}"`, "interval_ms = 100", `listen = "127.0.0.1:${port}"`,
      "[[fastpath]]", 'name = "fp0"', `heartbeat = "${hb}"`, "suspect_ms = 40", "dead_ms = 120", "grace_ms = 0",
    ].join("\n"));
  });

  afterAll(async () => {
    await w?.close();
    await sim?.kill();
  });

  test("healthy: node_ok 1, penalty 0, metrics exposed (promtool clean on /metrics and on the textfile)", async () => {
    await until(() => read(join(ka, "node_ok")) === "1\n" && read(join(ka, "penalty")) === "0\n", "node_ok 1 / penalty 0", 10_000, () => `${read(join(ka, "node_ok"))} ${w.stderr().slice(-1500)}`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    for (const l of text.trimEnd().split("\n")) if (!l.startsWith("#")) expect(l).toMatch(SAMPLE);
    expect(promtool(text)).toBe("");
    expect(text).toContain('hamon_node_health{health="green"} 1');
    expect(text).toContain('hamon_component_up{component="fp0",plane="fast",kind="static"} 1');
    expect(text).toMatch(/hamon_fastpath_core_beat_age_seconds\{fastpath="fp0",slot="0",lcore="\d+",core="[^"]*"\} [0-9.]+/);
    expect(text).toMatch(/hamon_monitor_loop_lateness_seconds_count [1-9]\d*/);
    expect(text).toContain('hamon_recoveries_total{level="restart-control-plane-and-fast-path"} 0');
    // The same families in the textfile, replaced by rename (never a partial file).
    await until(() => read(prom).includes('hamon_node_health{health="green"} 1'), "textfile", 5_000);
    expect(read(prom).endsWith("\n")).toBe(true);
    expect(promtool(read(prom))).toBe("");
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });

  test("a track file changed behind hamon's back (keepalived init_file overwrite, a cleaned /run) is put right", async () => {
    writeFileSync(join(ka, "node_ok"), "0\n");
    rmSync(join(ka, "penalty"));
    await until(() => read(join(ka, "node_ok")) === "1\n" && read(join(ka, "penalty")) === "0\n", "files rewritten", 5_000);
    expect(w.stderr()).toContain("track file changed behind hamon's back");
  });

  test("a stalled core: red (node_ok 0) and the escalation counted; resumed: green again", async () => {
    const from = w.events.length;
    expect(await sim.send("stall 0")).toMatch(/^ok/);
    await w.waitEvent((e) => e.event === "recover" && e.level === "restart-control-plane-and-fast-path", "CP+FP recovery", from);
    await w.waitEvent((e) => e.event === "node-red", "node-red event", from);
    await until(() => read(join(ka, "node_ok")) === "0\n", "node_ok 0", 5_000);
    const status = await w.cmd("status");
    expect(status.type === "result" && status.monitor?.node?.health).toBe("red");
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('hamon_recoveries_total{level="restart-control-plane-and-fast-path"} 1');
    expect(text).toContain('hamon_node_health{health="red"} 1');
    expect(text).toContain('hamon_fastpath_core_verdict{fastpath="fp0",slot="0",verdict="dead"} 1');
    expect(promtool(text)).toBe("");
    const age = Number(/hamon_fastpath_core_beat_age_seconds\{fastpath="fp0",slot="0"[^}]*\} ([0-9.]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0.12);

    const back = w.events.length;
    expect(await sim.send("resume 0")).toMatch(/^ok/);
    await w.waitEvent((e) => e.event === "node-green", "node-green event", back);
    await until(() => read(join(ka, "node_ok")) === "1\n", "node_ok 1 again", 5_000);
  });

  test("a clean stop with on_monitor_exit = fault (the default) leaves node_ok 0", async () => {
    expect(await w.close()).toBe(0);
    expect(read(join(ka, "node_ok"))).toBe("0\n");
    // The textfile's last word is there too; the port is closed.
    expect(read(prom)).toContain("hamon_events_total");
    expect(await fetch(`http://127.0.0.1:${port}/metrics`).then(() => "open", () => "closed")).toBe("closed");
  });
});

describe("on_monitor_exit = keep, attrd_updater absent, a port taken", () => {
  test("the verdict stays in node_ok after a clean stop; no attrd_updater: said once, monitoring goes on; busy port: adapter-failed, monitoring goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-adapters-"));
    const ka = join(dir, "ka");
    const busy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
    const w = await startWatched([
      "[keepalived]", `dir = "${ka}"`, 'on_monitor_exit = "keep"',
      "[pacemaker]", 'attrd_updater = "hamon-no-such-attrd-updater"',
      "[prometheus]", `listen = "127.0.0.1:${busy.port}"`,
    ].join("\n"));
    try {
      await until(() => read(join(ka, "node_ok")) === "1\n", "node_ok 1", 10_000, () => w.stderr().slice(-1500));
      // Both said once, at start (before a subscriber could attach: the log and events.jsonl have them).
      expect(w.stderr()).toContain("event adapter-failed");
      expect(w.stderr()).toMatch(/prometheus: listening on 127\.0\.0\.1:\d+ failed/);
      expect(w.stderr()).toContain("attrd_updater not found");
      expect(readFileSync(join(w.stateDir, "events.jsonl"), "utf8")).toContain('"event":"adapter-failed"');
      const r = await w.cmd("status");
      expect(r.type).toBe("result");
    } finally {
      expect(await w.close()).toBe(0);
      busy.stop(true);
    }
    expect(read(join(ka, "node_ok"))).toBe("1\n");
  }, 30_000);
});
