/** End to end: the compiled `hamon` binary, its stdout, stderr and exit codes. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../src/library/component.ts";
import { startMonitor, type MonitorProc } from "../helpers/monitor-proc.ts";
import { until } from "../helpers/wait.ts";
import { probeSocket } from "../../src/transport/unix.ts";
import { BIN, BIN_DIR, buildBinary, runBin } from "../helpers/binary.ts";

const DIR = BIN_DIR;
const run = (args: string[], cwd = DIR) => runBin(args, cwd);

let mon: MonitorProc;
const comps: Component[] = [];
beforeAll(async () => {
  await buildBinary();
  mon = await startMonitor([], [BIN]);
  for (const [name, plane] of [["fp", "fast"], ["bgpd", "control"]] as const) {
    const c = new Component({ name, plane, kind: name === "bgpd" ? "dynamic" : "static", socket: mon.sock });
    await c.start();
    comps.push(c);
  }
  comps[1]!.report("degraded", "peer 192.0.2.1 down");
  await Bun.sleep(50);
}, 60_000);
afterAll(async () => {
  for (const c of comps) await c.stop();
  await mon.stop();
});

describe("usage errors exit 2 with a message naming the problem", () => {
  test.each([
    [["status", "--sokcet", "/x"], "unknown flag --sokcet"],
    [["status", "--socket"], "flag --socket needs a value"],
    [["status", "--timeout", "0x10"], "--timeout must be a decimal integer, got '0x10'"],
    [["status", "--timeout", "5ms"], "--timeout must be a decimal integer, got '5ms'"],
    [["status", "a", "b"], "unexpected argument 'b'"],
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["monitor", "--log-format", "xml"], "Invalid value for argument"],
  ])("%j", (args, msg) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(msg);
    expect(r.err).not.toContain("    at ");
  });
});

test("--version prints the embedded version", () => {
  const r = run(["--version"]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^\d+\.\d+\.\d+\+([0-9a-f]+|unknown)\n$/);
});

test("--help lists the modes, without colour when piped", () => {
  const r = run(["--help"]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("monitor");
  expect(r.out).toContain("status");
  expect(r.out).not.toContain("\u001b[");
});

test("an unreachable monitor is one clear line and exit 4, not a stack trace", () => {
  const r = run(["status", "--socket", join(DIR, "nobody.sock")]);
  expect(r.code).toBe(4);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).toContain("E_UNAVAILABLE");
});

test("status --table: the table, one aligned row per component, exit 0 when all are up", () => {
  const r = run(["status", "--socket", mon.sock, "--table"]);
  expect(r.code).toBe(0);
  const lines = r.out.trimEnd().split("\n");
  // The node verdict the HA engines are told: one degraded control-plane component costs 10 of priority.
  expect(lines[1]).toBe("node yellow (penalty 10): bgpd degraded");
  expect(lines[2]).toMatch(/^NAME +KIND +PLANE +STATE +HEALTH +PID +AGE +RESTARTS +REASON$/);
  expect(lines[3]).toMatch(/^bgpd +dynamic +control +up +degraded +\d+ +[\d.]+m?s +0 +peer 192\.0\.2\.1 down$/);
  expect(lines[4]).toMatch(/^fp +static +fast +up +ok +\d+ +[\d.]+m?s +0 +-$/);
  expect(lines).toHaveLength(5);
});

test("status --json: versioned schema with typed fields", () => {
  const r = run(["status", "--socket", mon.sock, "--json"]);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.out);
  expect(doc.version).toBe(1);
  expect(typeof doc.monitor.pid).toBe("number");
  expect(doc.components.map((c: { name: string }) => c.name)).toEqual(["bgpd", "fp"]);
  for (const c of doc.components) {
    expect(Object.keys(c).sort()).toEqual(["ageMs", "health", "kind", "name", "pid", "plane", "reason", "restarts", "state"]);
  }
});

test("list: NAME STATE HEALTH per line", () => {
  const r = run(["list", "--socket", mon.sock]);
  expect(r).toEqual({ code: 0, out: "bgpd up degraded\nfp up ok\n", err: "" });
});

describe("check (Nagios plugin contract)", () => {
  test("WARNING (1) with a degraded component: one line, names and reasons, perfdata", () => {
    const r = run(["check", "--socket", mon.sock]);
    expect(r).toEqual({ code: 1, out: "HAMON WARNING - 1 degraded or starting: bgpd (peer 192.0.2.1 down) | up=2 down=0 warning=1 inactive=0 restarts=0c\n", err: "" });
  });
  test("OK (0) for one healthy component by name", () => {
    expect(run(["check", "--socket", mon.sock, "fp"])).toEqual({ code: 0, out: "HAMON OK - 1 components up | up=1 down=0 warning=0 inactive=0 restarts=0c\n", err: "" });
  });
  test.each([
    [["check", "--socket", join(DIR, "nobody.sock")], /^HAMON UNKNOWN - monitor: .*connect.*\n$/],
    [["check", "--socket", "SOCK", "nosuch"], /^HAMON UNKNOWN - no component named 'nosuch'\n$/],
  ])("UNKNOWN (3): %j", (args, out) => {
    const r = run(args.map((a) => (a === "SOCK" ? mon.sock : a)));
    expect(r.code).toBe(3);
    expect(r.out).toMatch(out);
  });
  test("a usage error is UNKNOWN (3), not CRITICAL", () => {
    expect(run(["check", "--bogus"]).code).toBe(3);
  });
});

describe("events", () => {
  test("--last N prints the newest events from events.jsonl; --json is JSON Lines", () => {
    const state = join(mon.dir, "state");
    const r = run(["events", "--state-dir", state, "--last", "2"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z  \S+ +\S+ +\S+ +.*$/);
    const j = run(["events", "--state-dir", state, "--json"]).out.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(j.some((e: { event: string; component: string }) => e.event === "registered" && e.component === "bgpd")).toBe(true);
    expect(Object.keys(j[0]).sort()).toEqual(["component", "event", "level", "reason", "seq", "time"]);
  });
  test("a missing state dir is one line on stderr and exit 1", () => {
    const r = run(["events", "--state-dir", join(DIR, "nowhere")]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no ");
  });
  test("--follow streams new events until SIGTERM (exit 0)", async () => {
    const p = Bun.spawn([BIN, "events", "--follow", "--socket", mon.sock], { stdout: "pipe", stderr: "pipe" });
    let out = "";
    void (async () => {
      for await (const c of p.stdout) out += new TextDecoder().decode(c);
    })();
    // Subscribed once an event made now reaches it (a condition, not a guess at how long subscribing takes).
    await until(async () => {
      const probe = new Component({ name: "follow-probe", socket: mon.sock, beacon: false });
      await probe.start();
      await probe.stop();
      return out.includes("follow-probe");
    }, "subscribed", 10_000, () => out);
    const c = new Component({ name: "follow-me", socket: mon.sock, beacon: false });
    await c.start();
    await c.stop();
    await until(() => /follow-me +deregistered/.test(out), "deregistered streamed", 5_000, () => out);
    expect(out).toMatch(/follow-me +registered +- +pid \d+/);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });
});

test("a .env and bunfig.toml in the working directory are ignored by the binary", () => {
  // If the .env were loaded, HAMON_SOCKET would point at the live monitor and status would succeed.
  const cwd = mkdtempSync(join(tmpdir(), "hamon-cwd-"));
  writeFileSync(join(cwd, ".env"), `HAMON_SOCKET=${mon.sock}\n`);
  writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
  writeFileSync(join(cwd, "evil.ts"), 'console.log("INJECTED")\n');
  const env = { PATH: process.env.PATH ?? "", XDG_RUNTIME_DIR: join(cwd, "xdg") };
  const r = Bun.spawnSync([BIN, "status", "--json"], { cwd, stdout: "pipe", stderr: "pipe", env });
  expect(r.stdout.toString()).not.toContain("INJECTED");
  expect(r.exitCode).toBe(4); // the default socket, where nothing listens
  expect(r.stderr.toString()).toContain("E_UNAVAILABLE");
  expect(r.stderr.toString()).not.toContain(mon.sock);
  // Control: the same variable from the real environment is honoured.
  const c = Bun.spawnSync([BIN, "status", "--json"], { cwd, stdout: "pipe", env: { PATH: process.env.PATH ?? "", HAMON_SOCKET: mon.sock } });
  expect(c.exitCode === 0 || c.exitCode === 3).toBe(true);
});

test("status exits 3 when a component is down, and shows it down/failed", async () => {
  const s = new Component({ name: "zebra", socket: mon.sock, backoff: { initialMs: 60_000, maxMs: 60_000 } });
  await s.start();
  (s as unknown as { session: { close(r: string): void } }).session.close("simulated crash");
  await Bun.sleep(50);
  const r = run(["status", "--socket", mon.sock, "--table"]);
  expect(r.code).toBe(3);
  // Down: no pid shown (the dead one would mislead), AGE since it last spoke.
  expect(r.out).toMatch(/zebra +static +control +down +failed +- +[\d.]+m?s +0 +connection lost/);
  await s.stop();
});



describe("discovery --once", () => {
  test("exit 0 when a monitor answers", () => {
    expect(run(["discovery", "--once", "--socket", mon.sock]).code).toBe(0);
  });
  test("exit 3 after starting a detached monitor, which then answers; 0 the next time", async () => {
    const sock = join(DIR, "disc", "hamon.sock");
    const r = run(["discovery", "--once", "--socket", sock]);
    expect(r.code).toBe(3);
    const pid = Number(/pid (\d+)/.exec(r.out)?.[1]);
    try {
      expect(run(["status", "--socket", sock]).code).toBe(0);
      expect(run(["discovery", "--once", "--socket", sock]).code).toBe(0);
    } finally {
      process.kill(pid, "SIGTERM");
    }
  });
  test("a stale socket file left by a dead monitor is replaced", async () => {
    const sock = join(DIR, "stale", "hamon.sock");
    const dead = Bun.spawn([BIN, "monitor", "--socket", sock, "--state-dir", join(DIR, "stale", "state")], { stderr: "pipe" });
    // Not --once here: racing the starting monitor, it could start a second one.
    await until(async () => (await probeSocket(sock)) === "alive", "first monitor");
    dead.kill("SIGKILL");
    await dead.exited;
    const r = run(["discovery", "--once", "--socket", sock]);
    expect(r.code).toBe(3);
    process.kill(Number(/pid (\d+)/.exec(r.out)?.[1]), "SIGTERM");
  });
});

describe("heartbeat", () => {
  test("validates a C writer's region and shows each core; a stalled core makes it exit 1; garbage exits 3", async () => {
    const { startSim, tmpPath } = await import("../helpers/hbsim.ts");
    const path = tmpPath();
    const sim = await startSim(path, 2, { paceUs: 500 });
    try {
      const ok = run(["heartbeat", path, "--dead-ms", "100"]);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/2 cores, writer pid \d+, instance [0-9a-f]{16}, sealed memfd/);
      expect(ok.out).toMatch(/^1 +2 +lcore1 +running +ok +\d+ms$/m);
      await sim.send("stall 1");
      const bad = run(["heartbeat", path, "--dead-ms", "100", "--json"]);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.out).cores[1]).toMatchObject({ slot: 1, state: "running", verdict: "dead" });
    } finally {
      await sim.kill();
    }
    writeFileSync(join(DIR, "garbage"), Buffer.alloc(4096, 0x41));
    const g = run(["heartbeat", join(DIR, "garbage")]);
    expect(g.code).toBe(3);
    expect(g.err).toContain("bad magic");
  });
});
