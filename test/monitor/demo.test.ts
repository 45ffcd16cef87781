/**
 * The demo appliance shows the whole product: `monitor --demo` attaches the
 * simulated fast path's region (4 cores ok) and readies the plain daemon by
 * its probe; the simulated fast path (`demo-fastpath`, a JavaScript writer of
 * a real heartbeat region), owned by a monitor, stalls a core → core-suspect
 * → core-dead → restart-control-plane-and-fast-path → the new instance's
 * region attached → cores ok.
 */
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config.ts";
import { demoToml } from "../../src/demo/demo.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { startWatched, until } from "../helpers/watched.ts";

test("the demo configuration is valid: four library daemons, a plain one with a probe, an owned fast path", () => {
  const r = parseConfig(demoToml("/tmp/hamon-demo-x", ["/usr/local/bin/hamon"]));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  expect(r.config.components.map((c) => c.name).sort()).toEqual(["dataplane", "flaky", "ospfd", "routed", "snmpd", "syslogd"]);
  const run = r.config.components.find((c) => c.name === "syslogd")!.checks[0]!.run;
  expect(run && "probe" in run ? [run.probe.spec, run.send, run.expect] : null).toEqual(["unix:/tmp/hamon-demo-x/syslogd.sock", "PING\n", "PONG"]);
  expect(r.config.fastpaths[0]!.start).toEqual(["/usr/local/bin/hamon", "demo-fastpath", "--heartbeat", "/tmp/hamon-demo-x/dataplane.hb", "--stall-every-ms", "20000"]);
});

test("monitor --demo: the fast path attached with 4 cores ok, syslogd ready by its probe", async () => {
  const sock = join(mkdtempSync(join(tmpdir(), "hamon-demo-run-")), "s.sock");
  const p = Bun.spawn([process.execPath, MAIN, "monitor", "--demo", "--socket", sock], { stdout: "ignore", stderr: "pipe" });
  let err = "";
  void (async () => { for await (const c of p.stderr) err += new TextDecoder().decode(c); })();
  try {
    await until(() => /msg="event attached" component=dataplane reason="4 cores/.test(err) && /msg="event ready" component=syslogd reason="its probe passed/.test(err), "dataplane attached, syslogd ready", 20_000, () => err);
    const s = Bun.spawnSync([process.execPath, MAIN, "status", "dataplane", "--socket", sock, "--plain"], { stdout: "pipe" });
    expect(s.stdout.toString().split("\n").filter((l) => /^\d+\t/.test(l) && l.includes("\tok\t"))).toHaveLength(4);
  } finally {
    p.kill("SIGTERM");
    await p.exited;
  }
}, 40_000);

test("demo-fastpath owned by a monitor: a stall → core-dead → restarted → the new region attached → cores ok", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hamon-demofp-"));
  const hb = join(dir, "dp.hb");
  const argv = [process.execPath, MAIN, "demo-fastpath", "--heartbeat", hb, "--cores", "3", "--stall-every-ms", "1500", "--stall-ms", "1000"];
  const w = await startWatched(`[monitor]\nstop_on_exit = true\n[[fastpath]]\nname = "dp"\nheartbeat = "${hb}"\nstart = ${JSON.stringify(argv)}\nsuspect_ms = 150\ngrace_ms = 0\nladder = []\nflap_restarts = 1000\n`);
  try {
    const first = await w.waitEvent((e) => e.component === "dp" && e.event === "attached", "attached", 0, 15_000).catch(() => null);
    // "attached" may come before the subscriber: then the region is read by `show`.
    if (!first) await until(async () => { const r = await w.cmd("show", "dp"); return r.type === "result" && r.components[0]?.cores?.length === 3; }, "3 cores", 10_000);
    const mark = w.events.length;
    await w.waitEvent((e) => e.component === "dp" && e.event === "core-dead", "core-dead", mark, 15_000);
    const rec = await w.waitEvent((e) => e.component === "dp" && e.event === "recover", "recover", mark);
    expect(rec.level).toBe("restart-control-plane-and-fast-path");
    const att = await w.waitEvent((e) => e.component === "dp" && e.event === "attached", "the new region attached", mark, 15_000);
    expect(att.reason).toMatch(/^3 cores, writer pid \d+, instance [0-9a-f]{16}, unsealed file/);
    await until(async () => { const r = await w.cmd("show", "dp"); return r.type === "result" && r.components[0]?.cores?.every((c) => c.verdict === "ok") === true; }, "cores ok", 10_000);
  } finally {
    expect(await w.close()).toBe(0);
  }
}, 60_000);
