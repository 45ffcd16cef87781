/**
 * What operators and scripts read: status as a table or tab-separated columns,
 * show NAME, --xml checked against the XSD by xmllint, --json, results larger
 * than one frame through a real pipe, and peer text that must not reach a
 * terminal raw. The compiled binary against a real monitor process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../src/library/component.ts";
import { BIN, buildBinary, runBin } from "../helpers/binary.ts";
import { startMonitor, upCount, type MonitorProc } from "../helpers/monitor-proc.ts";
import { until } from "../helpers/wait.ts";

const XSD = join(import.meta.dir, "..", "..", "docs", "hamon-v1.xsd");
const DIR = mkdtempSync(join(tmpdir(), "hamon-views-"));
let mon: MonitorProc;
const comps: Component[] = [];

beforeAll(async () => {
  await buildBinary();
  mon = await startMonitor([], [BIN]);
  let fail = false;
  const ospf = new Component({
    name: "ospfd", kind: "dynamic", socket: mon.sock,
        // Answered from this test process, which spawnSync blocks for tens of ms: a generous timeout.
    checks: [{ name: "lsdb", mode: "query", periodMs: 250, timeoutMs: 200 }],
    onQuery: () => (fail ? { health: "failed", detail: "lsdb checksum mismatch" } : { health: "ok", detail: "lsdb consistent" }),
  });
  await ospf.start();
  comps.push(ospf);
  // Three good samples, then failures until the check fails and the engine decides.
  await Bun.sleep(800);
  fail = true;
  await until(() => runBin(["events", "--state-dir", join(mon.dir, "state"), "--json"]).out.includes('"recover"'), "a recovery decision for ospfd");
  fail = false;
  await until(() => runBin(["list", "--socket", mon.sock]).out.includes("ospfd up ok"), "ospfd healthy again");
  const evil = new Component({ name: "evil", socket: mon.sock });
  await evil.start();
  // ESC and BEL cannot cross the wire (not XML 1.0 characters: the encoder replaces them); C1 CSI and newlines can.
  evil.report("degraded", "bad\u009b2J\u009b31mred\nsecond line\u0007");
  comps.push(evil);
  await until(() => runBin(["list", "--socket", mon.sock]).out.includes("evil up degraded"), "evil degraded");
}, 60_000);
afterAll(async () => {
  for (const c of comps) await c.stop();
  await mon.stop();
});

function validates(xml: string): string {
  const f = join(DIR, `doc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(f, xml);
  const r = Bun.spawnSync(["xmllint", "--noout", "--schema", XSD, f], { stderr: "pipe" });
  return r.exitCode === 0 ? "valid" : r.stderr.toString();
}

describe("status", () => {
  test("piped: tab-separated columns with a header row, no banner, one row per component", () => {
    const r = runBin(["status", "--socket", mon.sock]);
    expect(r.code).toBe(0);
    const rows = r.out.trimEnd().split("\n").map((l) => l.split("\t"));
    expect(rows[0]).toEqual(["NAME", "KIND", "PLANE", "STATE", "HEALTH", "PID", "AGE", "RESTARTS", "REASON"]);
    expect(rows.map((x) => x[0])).toEqual(["NAME", "evil", "ospfd"]);
    for (const x of rows) expect(x).toHaveLength(9);
    expect(rows[2]!.slice(1, 5)).toEqual(["dynamic", "control", "up", "ok"]);
  });

  test("--xml is the wire <result> document and validates against the XSD", () => {
    const r = runBin(["status", "--socket", mon.sock, "--xml"]);
    expect(r.code).toBe(0);
    expect(r.out).toStartWith('<?xml version="1.0" encoding="UTF-8"?>\n<result id="');
    expect(validates(r.out)).toBe("valid");
  });

  test("on a terminal (a pty from script(1)): banner, aligned table, state/health coloured; NO_COLOR turns colour off", () => {
    if (!Bun.which("script")) return void console.warn("skipped: script(1) (util-linux) is not installed");
    const onTty = (env: Record<string, string>) =>
      Bun.spawnSync(["script", "-qec", `${BIN} status --socket ${mon.sock}`, "/dev/null"], { stdout: "pipe", env: { PATH: process.env.PATH ?? "", TERM: "xterm", ...env } }).stdout.toString().replace(/\r\n/g, "\n");
    const coloured = onTty({});
    expect(coloured).toMatch(/^monitor pid \d+, version \S+, up [\d.]+m?s, 2 components\nnode \S*yellow\S* \(penalty 10\): evil degraded\nNAME +KIND +PLANE +STATE +HEALTH +PID +AGE +RESTARTS +REASON\n/);
    expect(coloured).toContain("\u001b[32mup   \u001b[0m"); // padded inside the colour: columns stay aligned
    expect(coloured).toContain("\u001b[33mdegraded\u001b[0m");
    const plain = onTty({ NO_COLOR: "1" });
    expect(plain).not.toContain("\u001b[");
    expect(plain).toMatch(/\nevil +static +control +up +degraded +\d+ /);
  });

  test("usage: the formats are exclusive", () => {
    const r = runBin(["status", "--socket", mon.sock, "--json", "--xml"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("give at most one of --json, --xml, --table, --plain");
  });

  test("peer text reaches the terminal escaped: no ESC, BEL or newline from a component's reason", () => {
    for (const args of [["--table"], []]) {
      const r = runBin(["status", "--socket", mon.sock, ...args]);
      expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(r.out).toContain("bad\\x9b2J\\x9b31mred\\x0asecond line");
    }
    const s = runBin(["show", "--socket", mon.sock, "evil"]);
    expect(s.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(s.out).toContain("reason: bad\\x9b2J");
  });
});

describe("show NAME", () => {
  test("human: the row, counters, the next decision, checks with recent samples, recent events", () => {
    const r = runBin(["show", "--socket", mon.sock, "ospfd"]);
    const lines = r.out.split("\n");
    // A 100 ms check on a shared machine may miss a deadline now and then: the exit follows what is shown.
    expect(lines[0]).toMatch(/^ospfd  dynamic control  up (ok|failed)  pid \d+  last heard [\d.]+m?s ago$/);
    expect(r.code).toBe(lines[0]!.includes(" up ok ") ? 0 : 3);
    expect(r.out).toMatch(/\ncounters: registrations 1, restarts 0, failures [1-9]\d*, recoveries [1-9]\d*, grace left [\d.]+m?s, quarantined (no|yes)\n/);
    expect(r.out).toMatch(/\non the next failure: (ignore \(grace\)|restart-daemon|restart-control-plane|quarantine)\n/);
    expect(r.out).toMatch(/\nCHECKS \(samples oldest → newest: \+ ok, x failed\)\nNAME  MODE   PERIOD  STATE +RECENT  LAST FAILURE\n/);
    expect(r.out).toMatch(/\nlsdb  query  250ms   (ok|failed) +[+x]{5} +([\d.]+m?s ago: .+|-)\n/);
    expect(r.out).toContain("\nRECENT EVENTS\nTIME");
    expect(r.out).toMatch(/\n\S+Z +check-failed +- +check 'lsdb' failed/);
    expect(r.out).toMatch(/\n\S+Z +recover +restart-daemon +check 'lsdb' failed/);
    expect(r.out).toMatch(/\nmonitor pid \d+, version \S+, up [\d.]+m?s\n$/);
  });

  test("--json: the component with counters, checks (samples) and recent events", () => {
    const r = runBin(["show", "--socket", mon.sock, "ospfd", "--json"]);
    expect([0, 3]).toContain(r.code);
    const doc = JSON.parse(r.out);
    expect(doc.version).toBe(1);
    const c = doc.component;
    expect(Object.keys(c.counters).sort()).toEqual(["collateral", "failures", "graceMs", "next", "quarantined", "recoveries", "registrations", "restarts"]);
    expect(c.checks).toHaveLength(1);
    expect(c.checks[0]).toMatchObject({ name: "lsdb", mode: "query", periodMs: 250 });
    expect(c.checks[0].samples).toHaveLength(5);
    for (const s of c.checks[0].samples) expect(Object.keys(s).sort()).toEqual(["agoMs", "ok", "reason"]);
    const events = c.recent.map((e: { event: string }) => e.event);
    expect(events).toContain("registered");
    expect(events).toContain("recover");
    const seqs = c.recent.map((e: { seq: number }) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  test("--xml validates against the XSD", () => {
    const r = runBin(["show", "--socket", mon.sock, "ospfd", "--xml"]);
    expect([0, 3]).toContain(r.code);
    expect(r.out).toContain("<counters registrations=\"1\"");
    expect(r.out).toContain("<decision seq=");
    expect(validates(r.out)).toBe("valid");
  });

  test("an unknown name: exit 4 (LSB unknown, as status), one line", () => {
    const r = runBin(["show", "--socket", mon.sock, "nosuch"]);
    expect(r.code).toBe(4);
    expect(r.err).toBe("hamon show: no component named 'nosuch' [E_NOT_FOUND]\n");
  });
});

test("a result larger than one frame (1,500 components) arrives whole, through a pipe to a slow reader", async () => {
  const swarm = Bun.spawn([process.execPath, join(import.meta.dir, "..", "..", "scripts", "swarm.ts"), mon.sock, "1500", "a-component-with-a-rather-long-name-"], { stdout: "pipe", stderr: "inherit" });
  try {
    await until(async () => (await upCount(mon.sock)) >= 1502, "1,500 swarm components up", 30_000);
    // `sleep` before reading: the binary fills the pipe (64 KiB) and must wait, not exit and lose the rest.
    for (const [args, rows] of [[["list"], 1502], [["status"], 1503], [["status", "--json"], 0]] as const) {
      const sh = Bun.spawnSync(["sh", "-c", `"$0" "$@" | (sleep 0.3; cat)`, BIN, ...args, "--socket", mon.sock], { stdout: "pipe", stderr: "pipe" });
      const text = sh.stdout.toString();
      if (rows) {
        const lines = text.trimEnd().split("\n");
        expect(lines).toHaveLength(rows);
        expect(new Set(lines).size).toBe(rows); // nothing written twice
      } else expect(JSON.parse(text).components).toHaveLength(1502);
    }
    const x = runBin(["status", "--socket", mon.sock, "--xml"]);
    expect(x.out.length).toBeGreaterThan(200_000); // well past one 64 KiB frame
    expect(validates(x.out)).toBe("valid");
  } finally {
    swarm.kill("SIGTERM");
    await swarm.exited;
  }
}, 60_000);
