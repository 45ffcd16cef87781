/** The authorization policy (pure), the injection-variable scrubbing, the [security] config, and what the binary does with BUN_OPTIONS. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config.ts";
import { mayRegister, mayUseVerb, OPEN_POLICY, resolvePolicy, type Policy } from "../../src/security/policy.ts";
import { childEnv, injectedVars } from "../../src/security/env.ts";
import type { PeerCred } from "../../src/sys/peercred.ts";
import { BIN, buildBinary } from "../helpers/binary.ts";

const USERS: Record<string, number> = { root: 0, frr: 92, ops: 1000, viewer: 1001 };
const GROUPS: Record<string, number> = { hamon: 500, "hamon-admin": 501, frrvty: 85 };
const uidOf = (n: string) => (/^\d+$/.test(n) ? Number(n) : USERS[n] ?? null);
const gidOf = (n: string) => (/^\d+$/.test(n) ? Number(n) : GROUPS[n] ?? null);
const cred = (uid: number, groups: number[] = []): PeerCred => ({ uid, gid: groups[0] ?? uid, pid: 4242, groups });

function policy(toml: string, selfUid = 0): Policy {
  const c = parseConfig(toml);
  if (!c.ok) throw new Error(c.errors.join("; "));
  const r = resolvePolicy(c.config, selfUid, uidOf, gidOf);
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.policy;
}

const P = policy(`
[security]
socket_group = "hamon"
control_users = ["ops"]
control_groups = ["hamon-admin"]
read_groups = ["hamon"]
component_groups = ["frrvty"]
[[component]]
name = "ospfd"
user = "frr"
[[component]]
name = "anyone"
`);

describe("verbs", () => {
  test.each([
    ["root: everything", cred(0), "restart", null],
    ["control user", cred(1000), "deactivate", null],
    ["control group member (supplementary)", cred(1500, [1500, 501]), "query", null],
    ["reader: status", cred(1001, [500]), "status", null],
    ["reader: restart refused", cred(1001, [500]), "restart", /control verb/],
    ["not a reader", cred(1002, [1002]), "list", /read_groups/],
    ["no credentials: read refused when read_groups is set", null, "status", /known peer identity/],
    ["no credentials: control refused", null, "restart", /known peer identity/],
  ] as const)("%s", (_n, c, verb, want) => {
    const r = mayUseVerb(P, c, verb);
    if (want === null) expect(r).toBeNull();
    else expect(r).toMatch(want);
  });
  test("the monitor's own user is privileged", () => {
    expect(mayUseVerb(policy(`[security]\nread_groups = ["hamon"]\n`, 1234), cred(1234), "restart")).toBeNull();
  });
  test("without a policy (the dispatcher alone) everything is allowed", () => {
    expect(mayUseVerb(OPEN_POLICY, null, "restart")).toBeNull();
  });
});

describe("registration", () => {
  test.each([
    ["declared user", cred(92), "ospfd", null],
    ["root may register anything", cred(0), "ospfd", null],
    ["another user for a declared one", cred(1000, [85]), "ospfd", /only be registered by uid 92/],
    ["declared without user: anyone", cred(1002), "anyone", null],
    ["undeclared, in component_groups", cred(1003, [1003, 85]), "ripd", null],
    ["undeclared, not in component_groups", cred(1003), "ripd", /component_groups/],
    ["declared with user, no credentials", null, "ospfd", /did not provide/],
  ] as const)("%s", (_n, c, name, want) => {
    const r = mayRegister(P, c, name);
    if (want === null) expect(r).toBeNull();
    else expect(r).toMatch(want);
  });
  test("allow_undeclared = false", () => {
    expect(mayRegister(policy(`[security]\nallow_undeclared = false\n`), cred(0), "x")).toMatch(/not declared/);
  });
});

describe("configuration", () => {
  test("unknown names stop the monitor from starting, each named", () => {
    const c = parseConfig(`[security]\nsocket_group = "nosuch"\ncontrol_users = ["ghost"]\n[[component]]\nname = "a"\nuser = "nobody-here"\n`);
    if (!c.ok) throw new Error("parse");
    const r = resolvePolicy(c.config, 0, uidOf, gidOf);
    expect(r.ok ? [] : r.errors).toEqual([
      "security.control_users: user 'ghost' does not exist",
      "component a: user 'nobody-here' does not exist",
      "security.socket_group: group 'nosuch' does not exist",
    ]);
  });
  test("nofile above the hard limit for a daemon run as a user is refused (prlimit runs as that user: it could never start)", () => {
    const c = parseConfig(`[[component]]\nname = "a"\nstart = ["/bin/true"]\nready = "started"\nuser = "65534"\nnofile = 65536\n[[component]]\nname = "b"\nstart = ["/bin/true"]\nready = "started"\nnofile = 65536\n`);
    if (!c.ok) throw new Error("parse");
    const r = resolvePolicy(c.config, 0, uidOf, gidOf, 4096);
    expect(r.ok ? [] : r.errors).toEqual(["component a: nofile 65536 is above the hard limit 4096, which a daemon run as '65534' cannot raise (raise the monitor's hard limit, or lower nofile)"]);
    expect(resolvePolicy(c.config, 0, uidOf, gidOf, 65536).ok).toBe(true);
  });
  test.each([
    [`[security]\ncontrol_users = "ops"\n`, "security.control_users: must be an array of names or ids"],
    [`[security]\ncontrol_groups = ["a b"]\n`, "security.control_groups[0]: must be a user/group name or a decimal id"],
    [`[security]\nmax_connections = 0\n`, "security.max_connections"],
    [`[security]\nfrobnicate = 1\n`, "frobnicate"],
    [`[[component]]\nname = "a"\nuser = "../x"\n`, "component 'a'.user: must be a user/group name"],
  ])("%j is refused", (toml, msg) => {
    const c = parseConfig(toml);
    expect(c.ok ? "" : c.errors.join("\n")).toContain(msg);
  });
  test("defaults: open to whoever can reach the socket, limits on", () => {
    const c = parseConfig("");
    expect(c.ok && c.config.security).toMatchObject({ socketGroup: null, allowUndeclared: true, maxConnections: 4096, maxConnectionsPerUid: 256, maxMessagesPerSecond: 500 });
  });
});

describe("injection variables", () => {
  test("found, and scrubbed from children's environment", () => {
    const env = { PATH: "/bin", BUN_OPTIONS: "--preload x", BUN_BE_BUN: "1", NODE_OPTIONS: "-r y", HOME: "/root" };
    expect(injectedVars(env)).toEqual(["BUN_OPTIONS", "BUN_BE_BUN", "NODE_OPTIONS"]);
    expect(childEnv({ HAMON_COMPONENT: "a" }, env)).toEqual({ PATH: "/bin", HOME: "/root", HAMON_COMPONENT: "a" });
  });

  test("the binary: a BUN_OPTIONS preload still runs (the runtime reads it first), but the daemon modes refuse to start (78); BUN_BE_BUN turns it into bun", async () => {
    await buildBinary();
    const dir = mkdtempSync(join(tmpdir(), "hamon-inject-"));
    writeFileSync(join(dir, "pre.js"), "console.error('PRELOADED');\n");
    const run = (args: string[], env: Record<string, string>) => {
      const r = Bun.spawnSync([BIN, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", ...env } });
      return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
    };
    const sock = join(dir, "m.sock");
    for (const mode of [["monitor", "--socket", sock, "--state-dir", join(dir, "s")], ["component", "--socket", sock, "--name", "x", "--", "true"], ["discovery", "--once", "--socket", sock]]) {
      const r = run(mode, { BUN_OPTIONS: `--preload ${join(dir, "pre.js")}` });
      expect(r.err).toContain("PRELOADED"); // documented: this cannot be prevented from inside
      expect(r.code).toBe(78);
      expect(r.err).toContain(`hamon ${mode[0]}: refusing to run with BUN_OPTIONS set`);
    }
    const bun = run(["--version"], { BUN_BE_BUN: "1" });
    expect(bun.out.trim()).toMatch(/^1\.\d+\.\d+$/); // the bun CLI's version, not hamon's: our code never ran
  }, 60_000);
});
