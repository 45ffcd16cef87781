/** The probe module on its own: probe specs and connects, the exec check's (audit command's) mapping. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runAudit, splitCommand } from "../../src/probes/exec.ts";
import { runProbe } from "../../src/probes/connect.ts";
import { parseProbe } from "../../src/config/probe-spec.ts";
import { CheckRunner } from "../../src/probes/runner.ts";

describe("probe specs", () => {
  test.each([
    ["tcp://127.0.0.1:179", { kind: "tcp", host: "127.0.0.1", port: 179 }],
    ["tcp://[::1]:2601", { kind: "tcp", host: "::1", port: 2601 }],
    ["tcp://router-1.local:22", { kind: "tcp", host: "router-1.local", port: 22 }],
    ["unix:/run/frr/zserv.api", { kind: "unix", path: "/run/frr/zserv.api" }],
  ])("%s", (spec, want) => expect(parseProbe(spec)).toMatchObject(want));
  test.each(["tcp://h", "tcp://h:0", "tcp://h:65536", "tcp://h:1/x", "tcp://a b:1", "unix:", "unix:x.sock", "http://h:80", ""])("refused: %j", (spec) => {
    expect(() => parseProbe(spec)).toThrow(/probe/);
  });
});

describe("probe connects", () => {
  test("a listener answers; a closed port and a missing socket say why", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    expect(await runProbe(parseProbe(`tcp://127.0.0.1:${l.port}`), 1000)).toBeNull();
    const port = l.port;
    l.stop(true);
    expect(await runProbe(parseProbe(`tcp://127.0.0.1:${port}`), 1000)).toBe(`tcp://127.0.0.1:${port}: ECONNREFUSED`);
    const missing = join(tmpdir(), `hamon-no-such-${process.pid}.sock`);
    expect(await runProbe(parseProbe(`unix:${missing}`), 1000)).toBe(`unix:${missing}: ENOENT`);
  });
  test("CheckRunner.all: the worst result, the first in order among equals; nothing to run is ok", async () => {
    const r = new CheckRunner();
    expect(await r.all([], 1000)).toEqual({ health: "ok", detail: "" });
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const up = { probe: parseProbe(`tcp://127.0.0.1:${l.port}`), send: "", expect: "" };
    // The sidecar's --check-cmd reads a monitoring plugin's codes (1 is degraded).
    const degraded = { exec: ["sh", "-c", "echo lagging; exit 1"], codes: "nagios" as const };
    const failed = { exec: ["sh", "-c", "echo broken; exit 2"], codes: "nagios" as const };
    expect(await r.all([up, degraded], 1000)).toEqual({ health: "degraded", detail: "lagging (exit 1)" });
    expect(await r.all([degraded, failed, { exec: ["sh", "-c", "echo second; exit 3"], codes: "nagios" as const }], 1000)).toEqual({ health: "failed", detail: "broken (exit 2)" });
    expect(await r.all([up], 1000)).toEqual({ health: "ok", detail: `tcp://127.0.0.1:${l.port}: answered` });
    l.stop(true);
  });
});

describe("audit command", () => {
  test("argv split on whitespace, never a shell", () => {
    expect(splitCommand("  /usr/bin/audit  --quick\t-v ")).toEqual(["/usr/bin/audit", "--quick", "-v"]);
    expect(splitCommand("echo $(reboot); rm -rf /")).toEqual(["echo", "$(reboot);", "rm", "-rf", "/"]);
  });
  test("shell metacharacters reach the program as plain words", async () => {
    expect(await runAudit(["echo", "$(id)", ";", "`id`"], 5000)).toEqual({ health: "ok", detail: "$(id) ; `id`" });
  });
  test.each([
    [["sh", "-c", "echo fine; exit 0"], { health: "ok", detail: "fine" }],
    [["sh", "-c", "echo slow >&2; exit 1"], { health: "degraded", detail: "slow (exit 1)" }],
    [["sh", "-c", "exit 7"], { health: "failed", detail: "exit 7" }],
    [["sh", "-c", "kill -9 $$"], { health: "failed", detail: "killed by SIGKILL" }],
  ])("%j", async (argv, want) => {
    expect(await runAudit(argv, 5000)).toEqual(want as { health: "ok"; detail: string });
  });
  test("a hung audit is killed at its deadline and counts as failed", async () => {
    expect(await runAudit(["sh", "-c", "echo started; exec sleep 30"], 200)).toEqual({ health: "failed", detail: "audit command timed out after 200 ms: started" });
  });
  test("a missing binary is a failed audit, not a crash", async () => {
    const r = await runAudit(["/nonexistent/audit"], 1000);
    expect(r.health).toBe("failed");
    expect(r.detail).toContain("/nonexistent/audit");
  });
});
