/**
 * Debian's FRR owned by hamon with the shipped docs/examples/frr.toml, in a
 * network namespace (test/helpers/frr-lab.ts): the four daemons start in
 * order and answer on their vty; kill -9 of bgpd → restarted and answering;
 * SIGSTOP of bgpd (which watchfrr never recovers, and which a connect probe
 * cannot see) → its vty check fails → stopped with SIGTERM + SIGCONT →
 * restarted and answering; a restart of zebra restarts what binds to it, and
 * the static route is in zebra's table again; status, show and logs on them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { FRR_DAEMONS, FRR_TOML, frrUnavailable, newFrrLab, type FrrLab } from "../helpers/frr-lab.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { parseConfig } from "../../src/config/config.ts";
import { until } from "../helpers/wait.ts";

const why = frrUnavailable();
// .ci/run installs FRR: in CI a skip would hide a broken install, so it fails instead.
if (why && process.env.CI) throw new Error(`FRR tests cannot run in CI: ${why}`);
if (why) console.warn(`SKIPPED FRR tests: ${why}`);

test("docs/examples/frr.toml is a valid configuration: four plain daemons on vty checks, bgpd/ospfd/staticd after and bound to zebra", () => {
  const r = parseConfig(readFileSync(FRR_TOML, "utf8"));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  expect(r.config.components.map((c) => c.name)).toEqual([...FRR_DAEMONS]);
  for (const c of r.config.components) {
    expect(c.ready).toBe("probe");
    expect(c.checks[0]!.run).toMatchObject({ send: "show version\0", expect: "FRRouting" });
    if (c.name !== "zebra") expect([c.after, c.bindsTo]).toEqual([["zebra"], ["zebra"]]);
  }
});

describe.skipIf(why !== null)("FRR owned by hamon (docs/examples/frr.toml) in a network namespace", () => {
  let lab: FrrLab;
  beforeAll(async () => {
    lab = newFrrLab();
    // A short grace so the hang test need not wait out the default 5 s after the kill test's restart.
    await lab.startMonitor("[defaults]\ngrace_ms = 1000\n");
    for (const d of FRR_DAEMONS) await until(async () => (await lab.mon!.cmd("show", d)).type === "result" && (await stateOf(d)) === "up/ok", `${d} up`, 20_000, () => lab.mon!.stderr().slice(-3000));
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
  });

  async function stateOf(d: string): Promise<string> {
    const r = await lab.mon!.cmd("show", d);
    return r.type === "result" ? `${r.components[0]?.state}/${r.components[0]?.health}` : "?";
  }
  async function pidOf(d: string): Promise<number> {
    const r = await lab.mon!.cmd("show", d);
    return r.type === "result" ? r.components[0]?.pid ?? 0 : 0;
  }
  function hamon(...args: string[]): string {
    const where = args[0] === "logs" ? ["--state-dir", join(lab.dir, "state")] : ["--socket", lab.mon!.sock];
    const r = Bun.spawnSync([process.execPath, MAIN, ...args, ...where], { stdout: "pipe", stderr: "pipe" });
    return `${r.stdout.toString()}${r.stderr.toString()}`;
  }

  test("all four answer on their vty; zebra carries staticd's route; the hamon pids are FRR's own pid files", async () => {
    for (const d of FRR_DAEMONS) {
      expect(await lab.vty(d)).toBeNull();
      expect(await pidOf(d)).toBe(lab.pidOf(d));
    }
    await until(() => lab.vtysh("show ip route static").includes("10.99.0.0/24"), "the static route in zebra", 10_000, () => lab.vtysh("show ip route"));
    const status = hamon("status");
    for (const d of FRR_DAEMONS) expect(status).toMatch(new RegExp(`^${d}\\s+static\\s+control\\s+up\\s+ok\\s+${lab.pidOf(d)}\\s`, "m"));
  });

  test("kill -9 of bgpd → restarted → its vty answers again", async () => {
    const pid = await pidOf("bgpd");
    const mark = lab.mon!.events.length;
    const t0 = performance.now();
    process.kill(pid, "SIGKILL");
    const ms = await lab.untilAnswering("bgpd", t0);
    console.log(`bgpd kill -9 → vty answering again: ${ms.toFixed(0)} ms`);
    await lab.mon!.waitEvent((e) => e.component === "bgpd" && e.event === "ready", "bgpd ready again", mark, 15_000);
    expect(await pidOf("bgpd")).not.toBe(pid);
    expect(await pidOf("bgpd")).toBe(lab.pidOf("bgpd"));
  }, 30_000);

  test("SIGSTOP of bgpd → its vty check fails (the socket still accepts) → SIGTERM + SIGCONT → restarted → answering", async () => {
    const pid = await pidOf("bgpd");
    const mark = lab.mon!.events.length;
    const t0 = performance.now();
    process.kill(pid, "SIGSTOP");
    const failed = await lab.mon!.waitEvent((e) => e.component === "bgpd" && e.event === "check-failed", "the hang seen", mark, 10_000);
    expect(failed.reason).toContain("no 'FRRouting' within");
    const ms = await lab.untilAnswering("bgpd", t0);
    console.log(`bgpd SIGSTOP → vty answering again: ${ms.toFixed(0)} ms`);
    await lab.mon!.waitEvent((e) => e.component === "bgpd" && e.event === "ready", "bgpd ready again", mark, 15_000);
    await until(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, "the stopped bgpd is gone");
    expect(await pidOf("bgpd")).not.toBe(pid);
  }, 30_000);

  test("kill -9 of zebra → zebra restarted, then bgpd, ospfd and staticd (binds_to) → all answer; staticd's route is back in zebra", async () => {
    const before = new Map<string, number>();
    for (const d of FRR_DAEMONS) before.set(d, await pidOf(d));
    const mark = lab.mon!.events.length;
    process.kill(before.get("zebra")!, "SIGKILL");
    for (const d of FRR_DAEMONS) {
      await lab.mon!.waitEvent((e) => e.component === d && e.event === "ready", `${d} ready again`, mark, 20_000);
      expect(await pidOf(d)).not.toBe(before.get(d));
      expect(await lab.vty(d)).toBeNull();
    }
    const bound = lab.mon!.events.slice(mark).filter((e) => e.event === "started" && e.reason.includes("'zebra', which it binds to"));
    expect(bound.map((e) => e.component).sort()).toEqual(["bgpd", "ospfd", "staticd"]);
    await until(() => lab.vtysh("show ip route static").includes("10.99.0.0/24"), "the static route back in zebra", 15_000, () => lab.vtysh("show ip route"));
  }, 60_000);

  test("hamon show and hamon logs on an FRR daemon", () => {
    const show = hamon("show", "bgpd");
    expect(show).toContain("vty");
    expect(hamon("logs", "bgpd", "-n", "200")).toContain("bgpd 8.4");
  });

  // Last: it leaves a full table in the namespace (every later zebra start reads it).
  test("zebra made busy by a full table (`show ip route json` over 200,000 routes): its vty silent for seconds, busy, not restarted; SIGSTOPped, restarted at once", async () => {
    lab.addKernelRoutes(200_000);
    await until(() => /20\.3\.13\.63\/32/.test(lab.vtysh("show ip route 20.3.13.63/32")), "zebra has learned the table", 60_000);
    const pid = await pidOf("zebra");
    let mark = lab.mon!.events.length;
    const t0 = performance.now();
    const show = lab.heavyShow();
    const busy = await lab.mon!.waitEvent((e) => e.component === "zebra" && e.event === "busy", "zebra busy", mark, 20_000);
    expect(busy.reason).toMatch(/^busy: \d+ % of a CPU.*; check 'vty'/);
    await show;
    console.log(`zebra: show ip route json over 200,000 routes took ${Math.round(performance.now() - t0)} ms; busy said, not restarted`);
    await lab.mon!.waitEvent((e) => e.component === "zebra" && e.event === "check-ok", "zebra answering again", mark, 20_000);
    expect(lab.mon!.events.slice(mark).filter((e) => ["recover", "check-failed", "exited"].includes(e.event))).toEqual([]);
    expect(await pidOf("zebra")).toBe(pid);
    // The same zebra stopped: hung at its first silent check.
    mark = lab.mon!.events.length;
    const t1 = performance.now();
    process.kill(pid, "SIGSTOP");
    const failed = await lab.mon!.waitEvent((e) => e.component === "zebra" && e.event === "check-failed", "the hang seen", mark, 10_000);
    expect(failed.reason).toContain("hung: stopped (state T)");
    const rec = await lab.mon!.waitEvent((e) => e.component === "zebra" && e.event === "recover", "zebra restarted", mark, 10_000);
    console.log(`zebra SIGSTOP → its recovery decided: ${Math.round(performance.now() - t1)} ms`);
    expect(lab.mon!.events.slice(mark).filter((e) => e.event === "busy")).toEqual([]);
    expect(rec.component).toBe("zebra");
    await lab.mon!.waitEvent((e) => e.component === "zebra" && e.event === "ready", "zebra ready again", lab.mon!.events.indexOf(rec), 60_000);
  }, 180_000);
});
