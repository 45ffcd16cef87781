/**
 * The OCF resource agent (docs/ocf/hamon → `hamon ocf ACTION`, the compiled
 * binary): validated by Debian's ocf-tester where resource-agents is
 * installed, and every action's exit code checked against a real monitor
 * whose fast path (hbsim) stalls, whose component audits fail or degrade,
 * which hangs (SIGSTOP) and which is stopped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, buildBinary } from "../helpers/binary.ts";
import { startSim, tmpPath, type Sim } from "../helpers/hbsim.ts";
import { until } from "../helpers/wait.ts";
import { lockState } from "../../src/discovery/ping.ts";

const AGENT = join(import.meta.dir, "..", "..", "docs", "ocf", "hamon");
const DIR = mkdtempSync(join(tmpdir(), "hamon-ocf-"));
let sim: Sim;
let cfg: string;
const procs: Bun.Subprocess[] = [];

/** Runs the agent the way Pacemaker does: the wrapper, the action as argv[1], parameters in OCF_RESKEY_*. */
function agent(action: string, sock: string, extra: Record<string, string> = {}): { code: number; err: string; out: string } {
  const r = Bun.spawnSync([AGENT, action], {
    stdout: "pipe", stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", OCF_ROOT: "/usr/lib/ocf", OCF_RESOURCE_INSTANCE: "hamon1", OCF_RESKEY_binary: BIN, OCF_RESKEY_config: cfg, OCF_RESKEY_socket: sock, OCF_RESKEY_state_dir: join(DIR, "state"), OCF_RESKEY_CRM_meta_timeout: "20000", ...extra },
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

beforeAll(async () => {
  await buildBinary();
  const hb = tmpPath();
  sim = await startSim(hb, 2);
  cfg = join(DIR, "hamon.toml");
  writeFileSync(cfg, ["[monitor]", "tick_ms = 5", "[[fastpath]]", 'name = "fp0"', `heartbeat = "${hb}"`, "suspect_ms = 40", "dead_ms = 120", "grace_ms = 0", "ladder = []", "flap_restarts = 1000"].join("\n"));
});

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await sim?.kill();
});

const ocfTester = Bun.which("ocf-tester");
if (!ocfTester) console.warn("SKIPPED ocf-tester run: resource-agents is not installed (.ci/run installs it); the action tests below still run");

test.skipIf(!ocfTester)("ocf-tester (resource-agents) passes the agent: meta-data against ra-api-1.dtd, start, monitor, stop, probes", () => {
  // Pacemaker (and ocf-tester) ask for meta-data without the resource's parameters, and ocf-tester
  // also as nobody: the wrapper must find the binary at its default path. Here that default is a
  // world-readable copy of the binary (the shipped wrapper's only difference: that one path).
  const root = join(DIR, "installed");
  mkdirSync(join(root, "bin"), { recursive: true, mode: 0o755 });
  for (const d of [DIR, root]) chmodSync(d, 0o755);
  copyFileSync(BIN, join(root, "bin", "hamon"));
  chmodSync(join(root, "bin", "hamon"), 0o755);
  const agentCopy = join(root, "hamon");
  writeFileSync(agentCopy, readFileSync(AGENT, "utf8").replace("/usr/sbin/hamon", join(root, "bin", "hamon")));
  chmodSync(agentCopy, 0o755);
  const sock = join(DIR, "tester", "hamon.sock");
  const r = Bun.spawnSync([ocfTester!, "-n", "hamon1", "-o", `config=${cfg}`, "-o", `socket=${sock}`, "-o", `state_dir=${join(DIR, "tester-state")}`, agentCopy], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  const out = `${r.stdout}${r.stderr}`;
  expect(out).toContain(`${agentCopy} passed all tests`);
  expect(r.exitCode).toBe(0);
  expect(lockState(sock).locked).toBe(false); // ocf-tester's last stop really stopped it
}, 120_000);

describe("the agent's actions and exit codes against a real monitor", () => {
  const sock = join(DIR, "run", "hamon.sock");
  let script: string;

  test("meta-data 0; validate-all 0, 6 on an invalid config, 5 on a missing one; an unknown action 3", () => {
    const m = agent("meta-data", sock);
    expect(m.code).toBe(0);
    expect(m.out).toContain('<action name="monitor" timeout="20s" interval="30s" depth="10"/>');
    expect(agent("validate-all", sock).code).toBe(0);
    const bad = join(DIR, "bad.toml");
    writeFileSync(bad, "[monitor]\ntick_ms = -1\n");
    expect(agent("validate-all", sock, { OCF_RESKEY_config: bad }).code).toBe(6);
    expect(agent("validate-all", sock, { OCF_RESKEY_config: join(DIR, "nope.toml") }).code).toBe(5);
    expect(agent("promote", sock).code).toBe(3);
  });

  test("config left unset (as Pacemaker leaves a parameter at its default): the advertised /etc/hamon/hamon.toml is read when it exists, else the built-in default", () => {
    const unset = (action: string) => {
      const env: Record<string, string | undefined> = { PATH: process.env.PATH ?? "", OCF_ROOT: "/usr/lib/ocf", OCF_RESKEY_binary: BIN, OCF_RESKEY_socket: sock, OCF_RESKEY_state_dir: join(DIR, "state") };
      return Bun.spawnSync([AGENT, action], { env, stdout: "pipe", stderr: "pipe" }).exitCode;
    };
    if (existsSync("/etc/hamon/hamon.toml")) return; // a node with a real configuration: not ours to replace
    mkdirSync("/etc/hamon", { recursive: true });
    try {
      writeFileSync("/etc/hamon/hamon.toml", "[monitor]\ntick_ms = -1\n");
      expect(unset("validate-all")).toBe(6); // the default file was read (and is invalid)
    } finally {
      rmSync("/etc/hamon/hamon.toml", { force: true });
    }
    expect(unset("validate-all")).toBe(0); // no file: the built-in default
  });

  test("not running: monitor 7 (a probe too), stop 0", () => {
    expect(agent("monitor", sock).code).toBe(7);
    expect(agent("monitor", sock, { OCF_RESKEY_CRM_meta_interval: "0" }).code).toBe(7);
    expect(agent("stop", sock).code).toBe(0);
  });

  test("start 0 (detached monitor), start again 0; level 0 and 10: 0 when green", async () => {
    expect(agent("start", sock).code).toBe(0);
    expect(agent("start", sock).code).toBe(0);
    expect(agent("monitor", sock).code).toBe(0);
    await until(() => agent("monitor", sock, { OCF_CHECK_LEVEL: "10" }).code === 0, "level 10 green", 10_000);
  });

  test("level 20 runs every component's audit: ok 0, degraded 190, failed 1", async () => {
    script = join(DIR, "audit.sh");
    writeFileSync(script, `#!/bin/sh\necho "audit says $(cat "${DIR}/audit.rc")"\nexit $(cat "${DIR}/audit.rc")\n`);
    chmodSync(script, 0o755);
    writeFileSync(join(DIR, "audit.rc"), "0");
    const side = Bun.spawn([BIN, "component", "--socket", sock, "--name", "ospfd", "--audit-cmd", script, "--", "sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    procs.push(side);
    await until(() => agent("monitor", sock, { OCF_CHECK_LEVEL: "20" }).code === 0, "level 20 ok", 10_000);
    writeFileSync(join(DIR, "audit.rc"), "1");
    expect(agent("monitor", sock, { OCF_CHECK_LEVEL: "20" }).code).toBe(190);
    writeFileSync(join(DIR, "audit.rc"), "2");
    const failed = agent("monitor", sock, { OCF_CHECK_LEVEL: "20" });
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("audit failed: ospfd (audit says 2 (exit 2))");
    expect(agent("monitor", sock, { OCF_CHECK_LEVEL: "10" }).code).toBe(0); // the audit is level 20's business
    // The component gone (its sidecar killed): the node is degraded (yellow) → 190 at level 10, still 0 at level 0.
    side.kill("SIGKILL");
    await until(() => agent("monitor", sock, { OCF_CHECK_LEVEL: "10" }).code === 190, "level 10 degraded", 10_000);
    expect(agent("monitor", sock).code).toBe(0);
    expect(agent("restart", sock).code).toBe(3);
  });

  test("a stalled fast-path core: red → level 10 returns 1; resumed: back to the yellow of the missing component", async () => {
    expect(await sim.send("stall 0")).toBe("ok");
    await until(() => agent("monitor", sock, { OCF_CHECK_LEVEL: "10" }).code === 1, "level 10 failed", 10_000);
    expect(agent("monitor", sock).code).toBe(0); // the monitor itself is fine
    expect(await sim.send("resume 0")).toBe("ok");
    await until(() => agent("monitor", sock, { OCF_CHECK_LEVEL: "10" }).code === 190, "level 10 degraded again", 10_000);
  }, 30_000); // its two waits may take 10 s each: the default 5 s budget cut it short once in CI

  test("a hung monitor (SIGSTOP: lock held, no answer) is 1, not 7; stop kills it and then monitor is 7", () => {
    const pid = lockState(sock).holder!.pid;
    process.kill(pid, "SIGSTOP");
    try {
      expect(agent("monitor", sock).code).toBe(1);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(agent("monitor", sock).code).toBe(0);
    const r = agent("stop", sock);
    expect(r.code).toBe(0);
    expect(lockState(sock).locked).toBe(false);
    expect(agent("monitor", sock).code).toBe(7);
    expect(readFileSync(join(DIR, "run", "monitor.log"), "utf8")).toContain("stopping");
  }, 30_000);
});
