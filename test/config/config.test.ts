import { describe, expect, test } from "bun:test";
import { DEFAULT_CONFIG, parseConfig } from "../../src/config/config.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const EXAMPLE = `
[monitor]
socket = "/run/hamon/hamon.sock"
tick_ms = 10
dry_run = true

[levels]
restart-control-plane = ["/usr/libexec/appliance/cp-restart"]
reboot-system = ["/usr/libexec/appliance/reboot", "--reason-from-env"]

[defaults]
grace_ms = 3000

[[component]]
name = "ospfd"
kind = "dynamic"
plane = "control"
start = ["/usr/sbin/ospfd", "-f", "/etc/frr/ospfd.conf"]
max_recommend = "restart-daemon"
ladder = [{ failures = 2, within_ms = 30000, then = "restart-control-plane" }]
  [[component.check]]
  name = "lsdb"
  mode = "query"
  period_ms = 1000
  timeout_ms = 200
  fall = 3

[[fastpath]]
name = "fp"
heartbeat = "/run/fastpath/hb"
dead_ms = 250
`;

test("an example configuration parses into typed policy", () => {
  const r = parseConfig(EXAMPLE);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const c = r.config;
  expect(c).toMatchObject({ socket: "/run/hamon/hamon.sock", tickMs: 10, dryRun: true });
  expect(c.levels["reboot-system"]).toEqual(["/usr/libexec/appliance/reboot", "--reason-from-env"]);
  expect(c.components[0]).toMatchObject({ name: "ospfd", kind: "dynamic", start: ["/usr/sbin/ospfd", "-f", "/etc/frr/ospfd.conf"] });
  expect(c.components[0]!.checks[0]).toEqual({ name: "lsdb", mode: "query", run: null, periodMs: 1000, timeoutMs: 200, rise: 1, fall: 3 });
  expect(c.components[0]!.policy).toMatchObject({ maxRecommend: "restart-daemon", graceMs: 3000, ladder: [{ failures: 2, withinMs: 30000, then: "restart-control-plane" }] });
  expect(c.fastpaths[0]).toMatchObject({ name: "fp", heartbeat: "/run/fastpath/hb", deadMs: 250, suspectMs: 50 });
  expect(c.fastpaths[0]!.policy).toMatchObject({ plane: "fast", baseLevel: "restart-control-plane-and-fast-path", escalateOnFlap: true, graceMs: 3000 });
});

test("an empty file is the built-in default", () => {
  expect(parseConfig("")).toEqual({ ok: true, config: DEFAULT_CONFIG });
});

describe("errors name the key and the bad value; all are reported at once", () => {
  test.each([
    [`[[component]]\nname = "a"\nplane = "data"`, `component 'a'.plane: must be one of control, fast, system, got "data"`],
    [`[[component]]\nname = "a"\nstart = "/usr/sbin/a -d"`, `component 'a'.start: must be an argv array like ["/usr/sbin/ospfd", "-d"], not a shell string, got "/usr/sbin/a -d"`],
    [`[[component]]\nname = "a"\nstart = ["a"]`, `component 'a'.start[0]: must be an absolute path (no PATH lookup), got "a"`],
    [`[[component]]\nname = "../etc"`, `component[0].name: must match`],
    [`[[component]]\nplane = "control"`, `component[0].name: is required`],
    [`[[component]]\nname = "a"\nstart = ["/a"]\npidfile = "/run/a.pid"`, `give start (hamon owns the daemon) or pidfile (attach), not both`],
    [`[[component]]\nname = "a"\nstrat = ["/a"]`, `component 'a'.strat: unknown key`],
    [`[[component]]\nname = "a"\nladder = [{ failures = 0, within_ms = 10, then = "reboot" }]`, `component 'a'.ladder[0].failures: must be an integer in 1..1000, got 0`],
    [`[[component]]\nname = "a"\n[[component.check]]\nname = "x"\nperiod_ms = 100\ntimeout_ms = 500`, `component 'a'.check[0].timeout_ms: must be ≤ period_ms (100), got 500`],
    [`[monitor]\ntick_ms = "10"`, `monitor.tick_ms: must be an integer in 1..1000, got "10"`],
    [`[levels]\nreboot = ["/sbin/reboot"]`, `levels.reboot: unknown key`],
    [`[[fastpath]]\nname = "fp"`, `fastpath 'fp'.heartbeat: is required`],
    [`[[fastpath]]\nname = "fp"\nheartbeat = "/hb"\nsuspect_ms = 100\ndead_ms = 50`, `fastpath 'fp'.dead_ms: must be ≥ suspect_ms (100), got 50`],
    [`[[component]]\nname = "a"\n[[fastpath]]\nname = "a"\nheartbeat = "/hb"`, `duplicate name, got "a"`],
    [`this is = = not toml`, `TOML syntax at line 1, column`],
    [`[monitor]\ntick_ms = 10\n\n[[component]]\nname = "a"\nstart = [ "/a",\n`, `TOML syntax at line 6, column 16: Unterminated array`],
  ])("%#", (toml, expected) => {
    const r = parseConfig(toml);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toContain(expected);
  });
  test("a missing or malformed heartbeat path is one error, not two", () => {
    for (const toml of [`[[fastpath]]\nname = "fp"`, `[[fastpath]]\nname = "fp"\nheartbeat = "relative"`]) {
      const r = parseConfig(toml);
      expect(!r.ok && r.errors.filter((x) => x.includes("heartbeat"))).toHaveLength(1);
    }
  });
  test("several mistakes are all listed", () => {
    const r = parseConfig(`[monitor]\ntick_ms = 0\ndry_run = "yes"\n[[component]]\nname = "a"\nkind = "sometimes"`);
    expect(!r.ok && r.errors).toHaveLength(3);
  });
});

test("docs/hamon.example.toml (the README's configuration reference) is valid and means what it says", () => {
  const text = readFileSync(join(import.meta.dir, "..", "..", "docs", "hamon.example.toml"), "utf8");
  const r = parseConfig(text);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const c = r.config;
  expect(c.components.map((x) => x.name)).toEqual(["routed", "bgpd", "ospfd", "sshd"]);
  const bgpd = c.components[1]!;
  expect(bgpd.ready).toBe("probe");
  expect(bgpd.checks.map((x) => x.run && ("probe" in x.run ? x.run.probe.spec : "exec" in x.run ? x.run.exec[0] : "resource"))).toEqual(["tcp://127.0.0.1:2605", "resource", "/usr/local/lib/appliance/check-bgp"]);
  expect(c.components[0]!.checks.map((x) => [x.name, x.mode, x.fall])).toEqual([["rib", "query", 2], ["spf-loop", "confirm", 1]]);
  expect(c.components[3]!.pidfile).toBe("/run/sshd.pid");
  expect(c.fastpaths[0]!.policy.baseLevel).toBe("restart-control-plane-and-fast-path");
  expect(c.levels["reboot-system"]).toEqual(["/usr/bin/systemctl", "reboot"]);
  expect(c.security).toMatchObject({ socketGroup: "root", controlUsers: [], allowUndeclared: true, maxConnectionsPerUid: 256 });
  expect(c.components[2]!.user).toBe("root");
  expect(c.integrations).toEqual({
    node: { degradedPenalty: 10, controlPlanePenalty: 50, starvedPenalty: 20, pressurePenalty: 20 },
    pressure: { pct: [80, 20, 80], forMs: 60_000 },
    keepalived: { dir: "/run/hamon/keepalived", onMonitorExit: "fault" },
    pacemaker: { attribute: "#health-hamon", attrdUpdater: "attrd_updater", dampeningS: 5, value: "colour", onReboot: "hook", standbyTimeoutS: 120 },
    prometheus: { textfile: "/var/lib/prometheus/node-exporter/hamon.prom", intervalMs: 5_000, listen: { host: "127.0.0.1", port: 9464 } },
  });
});

test("an owned fast path ([[fastpath]] start) is also an owned daemon on the fast plane, started before every component, ready once its region is attached", () => {
  const r = parseConfig(`[[component]]\nname = "routed"\nstart = ["/bin/true"]\n[[fastpath]]\nname = "dp"\nheartbeat = "/run/fp/hb"\nstart = ["/usr/bin/fpd", "--hb", "/run/fp/hb"]\nstop = ["/usr/bin/fpctl", "stop"]\n[[fastpath]]\nname = "watched"\nheartbeat = "/run/w/hb"\n`);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  expect(r.config.components.map((c) => [c.name, c.plane, c.ready])).toEqual([["dp", "fast", "region"], ["routed", "control", "registered"]]);
  expect(r.config.components[0]!.stop).toEqual(["/usr/bin/fpctl", "stop"]);
  expect(r.config.components[0]!.policy.baseLevel).toBe("restart-control-plane-and-fast-path");
  expect(r.config.fastpaths.map((f) => f.start)).toEqual([["/usr/bin/fpd", "--hb", "/run/fp/hb"], null]);
  const bad = parseConfig(`[[fastpath]]\nname = "dp"\nheartbeat = "/run/fp/hb"\nstart = "fpd --hb x"\n`);
  expect(bad.ok).toBe(false);
});
