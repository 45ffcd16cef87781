/**
 * Monitor mode end to end: a real monitor process with a TOML config, real
 * daemons it spawns (this repo's demo component), real signals. Every
 * assertion is on events and state, never on elapsed time.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../src/library/component.ts";
import { Session } from "../../src/library/session.ts";
import { demoArgv, pidOf, startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";
import { journalBody, readJournal, sealJournal } from "../helpers/journal.ts";
import { alive } from "../helpers/wait.ts";

const running: Watched[] = [];
const extra: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of extra.splice(0)) await f();
  for (const w of running.splice(0)) await w.close();
});

async function watched(toml: string, stateDir?: string, sock?: string): Promise<Watched> {
  const w = await startWatched(toml, stateDir, sock);
  running.push(w);
  return w;
}

const HEAD = `[monitor]\nstop_on_exit = true\nstop_timeout_ms = 500\n`;


describe("static components hamon owns", () => {
  test("started in their own process group, registered, restarted after kill -9", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`);
    await w.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc ready");
    const pid = await pidOf(w, "svc");
    expect(pid).toBeGreaterThan(0);
    // setsid: the daemon leads its own process group and session (it outlives a monitor crash).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    expect(Number(stat[2])).toBe(pid); // pgrp
    expect(Number(stat[3])).toBe(pid); // session
    const mark = w.events.length;
    process.kill(pid, "SIGKILL");
    const rec = await w.waitEvent((e) => e.component === "svc" && e.event === "recover", "recover", mark);
    expect(rec.level).toBe("restart-daemon");
    await w.waitEvent((e) => e.component === "svc" && e.event === "ready", "svc ready again", mark);
    const again = await pidOf(w, "svc");
    expect(again).not.toBe(pid);
    expect(await stateOf(w, "svc")).toBe("up/ok");
    const show = await w.cmd("show", "svc");
    expect(show.type === "result" && show.components[0]!.restarts).toBe(1);
  }, 30_000);

  test("a hung (SIGSTOPped) daemon is caught by the query timeout and replaced (SIGTERM, then SIGKILL)", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "hang"\nstart = ${demoArgv("hang")}\n[[component.check]]\nname = "health"\nperiod_ms = 200\ntimeout_ms = 200\n`);
    await w.waitEvent((e) => e.component === "hang" && e.event === "ready", "ready");
    const pid = await pidOf(w, "hang");
    const mark = w.events.length;
    process.kill(pid, "SIGSTOP");
    const failed = await w.waitEvent((e) => e.component === "hang" && e.event === "check-failed", "check failed", mark);
    expect(failed.reason).toContain("no reply within 200 ms");
    await w.waitEvent((e) => e.component === "hang" && e.event === "stopped", "stopped", mark);
    await w.waitEvent((e) => e.component === "hang" && e.event === "ready", "ready again", mark);
    expect(alive(pid)).toBe(false);
  }, 30_000);

  test("a daemon that cannot be executed is a start failure, not a crash of the monitor", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "ghost"\nstart = ["/nonexistent/ghostd"]\ngrace_ms = 100\n`);
    const ev = await w.waitEvent((e) => e.component === "ghost" && e.event === "start-failed", "start-failed");
    expect(ev.reason).toContain("/nonexistent/ghostd");
    expect((await w.cmd("ping")).type).toBe("ok");
  }, 30_000);
});

describe("dynamic components", () => {
  test("inactive until activated; deactivated ones are stopped and never alarm", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "ospfd"\nkind = "dynamic"\nstart = ${demoArgv("ospfd")}\n`);
    expect(await stateOf(w, "ospfd")).toBe("inactive/ok");
    const act = await w.cmd("activate", "ospfd");
    expect(act.type).toBe("result");
    await w.waitEvent((e) => e.component === "ospfd" && e.event === "ready", "ospfd ready");
    const pid = await pidOf(w, "ospfd");
    const mark = w.events.length;
    expect((await w.cmd("deactivate", "ospfd")).type).toBe("result");
    await w.waitEvent((e) => e.component === "ospfd" && e.event === "stopped", "stopped", mark);
    await until(() => !alive(pid), "ospfd process gone");
    expect(await stateOf(w, "ospfd")).toBe("inactive/ok");
    await Bun.sleep(300);
    expect(w.events.slice(mark).filter((e) => ["recover", "check-failed", "exited"].includes(e.event))).toEqual([]);
  }, 30_000);

  test("static components refuse deactivate; unknown names are E_NOT_FOUND", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`);
    const r = await w.cmd("deactivate", "svc");
    expect(r.type === "error" && r.code).toBe("E_STATE");
    const n = await w.cmd("restart", "nobody");
    expect(n.type === "error" && n.code).toBe("E_NOT_FOUND");
  }, 30_000);
});

describe("components that link the library (not spawned by hamon)", () => {
  test("kill of the connection → decision event; the level hook runs with HAMON_* in its environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-hook-"));
    const out = join(dir, "hook.out");
    const hook = join(dir, "hook.sh");
    writeFileSync(hook, `#!/bin/sh\necho "$HAMON_COMPONENT|$HAMON_LEVEL|$HAMON_REASON" >> ${out}\n`, { mode: 0o755 });
    const w = await watched(`${HEAD}[levels]\nrestart-daemon = ["${hook}"]\n`);
    const c = new Component({ name: "libd", socket: w.sock, checks: [{ name: "loop", mode: "query", periodMs: 100, timeoutMs: 100 }] });
    await c.start();
    const mark = w.events.length;
    await c.stop("going away rudely");
    // A deregistered undeclared component is simply forgotten: no alarm.
    await Bun.sleep(100);
    expect(w.events.slice(mark).some((e) => e.event === "recover")).toBe(false);
    const c2 = new Component({ name: "libd2", socket: w.sock });
    await c2.start();
    const m2 = w.events.length;
    // Drop the connection without a goodbye: the component is failed.
    (c2 as unknown as { session: { close(): void } }).session.close();
    await c2.stop();
    const rec = await w.waitEvent((e) => e.component === "libd2" && e.event === "recover", "recover", m2);
    expect(rec.level).toBe("restart-daemon");
    await w.waitEvent((e) => e.component === "libd2" && e.event === "hook-done", "hook done", m2);
    expect(readFileSync(out, "utf8")).toMatch(/^libd2\|restart-daemon\|connection lost/);
  }, 30_000);

  test("an error report's recommended level is honoured up to the policy's max_recommend", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "bgpd"\nmax_recommend = "restart-control-plane"\n`);
    const c = new Component({ name: "bgpd", socket: w.sock });
    extra.push(() => c.stop());
    await c.start();
    const mark = w.events.length;
    c.errorReport("reboot-system", "RIB corrupted");
    const rec = await w.waitEvent((e) => e.component === "bgpd" && e.event === "recover", "recover", mark);
    expect(rec.level).toBe("restart-control-plane");
    expect(rec.reason).toContain("capped to restart-control-plane");
    await w.waitEvent((e) => e.component === "bgpd" && e.event === "flight-record", "flight record", mark);
    const flights = readdirSync(join(w.stateDir, "flight"));
    expect(flights.length).toBe(1);
    const rec1 = JSON.parse(readFileSync(join(w.stateDir, "flight", flights[0]!), "utf8"));
    expect(rec1.component).toBe("bgpd");
    expect(rec1.checks.some((x: { component: string }) => x.component === "bgpd")).toBe(true);
  }, 30_000);
  test("a reply detail at the protocol's text limit: `hamon query` prints the answer cut to 4,096 characters (not E_STATE)", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "verbose"\n`);
    const c = new Component({ name: "verbose", socket: w.sock, onQuery: () => ({ health: "degraded", detail: "z".repeat(4096) }) });
    extra.push(() => c.stop());
    await c.start();
    // Not spawnSync: the component answers from this process's loop.
    const p = Bun.spawn([process.execPath, join(import.meta.dir, "..", "..", "src", "main.ts"), "query", "verbose", "--socket", w.sock], { stdout: "pipe", stderr: "pipe" });
    const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
    await p.exited;
    expect(err).toBe("");
    expect(out).toContain("z".repeat(4000));
  }, 30_000);

  test("recommendations above max_recommend: capped each time, but E_DENIED is sent once per connection (protocol.md §5.1)", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "ripd"\nmax_recommend = "restart-daemon"\nladder = []\nflap_restarts = 1000\n`);
    const denied: string[] = [];
    const s = await Session.open(w.sock, { role: "component", onMessage: (m) => { if (m.type === "error" && m.id === 0) denied.push(m.code); } });
    extra.push(() => s.close("done"));
    await s.request({ type: "register", id: s.nextId(), name: "ripd", kind: "static", plane: "control", pid: process.pid, checks: [] });
    const mark = w.events.length;
    for (let i = 0; i < 3; i++) s.send({ type: "error-report", level: "reboot-system", reason: `bad ${i}` });
    await until(() => w.events.slice(mark).filter((e) => e.component === "ripd" && e.event === "error-report").length === 3, "three error reports seen");
    await s.request({ type: "command", id: s.nextId(), verb: "status", target: "", kind: "" }).catch(() => null); // a round trip: anything sent before it has arrived
    expect(denied).toEqual(["E_DENIED"]);
  }, 30_000);
});

describe("dry run, event log, journal", () => {
  test("dry run decides and records but restarts nothing", async () => {
    const w = await watched(`${HEAD}dry_run = true\n[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`);
    await w.waitEvent((e) => e.component === "svc" && e.event === "ready", "ready");
    const pid = await pidOf(w, "svc");
    const mark = w.events.length;
    process.kill(pid, "SIGKILL");
    const rec = await w.waitEvent((e) => e.component === "svc" && e.event === "recover", "recover", mark);
    expect(rec.reason).toContain("dry run");
    await Bun.sleep(300);
    expect(w.events.slice(mark).some((e) => e.event === "started")).toBe(false);
    const lines = readFileSync(join(w.stateDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.some((l) => l.component === "svc" && l.event === "recover" && l.level === "restart-daemon")).toBe(true);
  }, 30_000);

  test("a restarted monitor adopts the daemons it owns and keeps its counters", async () => {
    const toml = `[monitor]\nstop_timeout_ms = 500\n[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`;
    const w1 = await startWatched(toml);
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready", "ready");
    const pid1 = await pidOf(w1, "svc");
    process.kill(pid1, "SIGKILL");
    await w1.waitEvent((e) => e.component === "svc" && e.event === "ready" && e.seq > 3, "ready after restart");
    const pid2 = await pidOf(w1, "svc");
    await w1.close(); // SIGTERM: the daemon keeps running (stop_on_exit = false)
    expect(alive(pid2)).toBe(true);
    const j = readJournal(join(w1.stateDir, "journal.json"));
    expect(j.components.find((c: { name: string }) => c.name === "svc").pid).toBe(pid2);
    expect(j.engine.components.find((c: { name: string }) => c.name === "svc").failures.length).toBe(1);

    const w2 = await watched(toml.replace("[monitor]\n", "[monitor]\nstop_on_exit = true\n"), w1.stateDir, w1.sock);
    await until(async () => (await stateOf(w2, "svc")) === "up/ok", "svc re-registered with the new monitor", 10_000, () => w2.stderr());
    expect(await pidOf(w2, "svc")).toBe(pid2); // adopted, not started twice
    expect(w2.events.some((e) => e.event === "started")).toBe(false);
    const show = await w2.cmd("show", "svc");
    expect(show.type === "result" && show.components[0]!.restarts).toBe(1);
    expect(existsSync(join(w1.stateDir, "journal.json"))).toBe(true);
  }, 40_000);
});

describe("check-config", () => {
  test("valid → 0; invalid → 78 with every error naming key and value", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-cc-"));
    const good = join(dir, "good.toml");
    const bad = join(dir, "bad.toml");
    writeFileSync(good, `[[component]]\nname = "ospfd"\nkind = "dynamic"\n`);
    writeFileSync(bad, `[[component]]\nname = "ospfd"\nplane = "data"\n[monitor]\ntick_ms = 0\n`);
    const { MAIN } = await import("../helpers/monitor-proc.ts");
    const ok = Bun.spawnSync([process.execPath, MAIN, "monitor", "--check-config", good]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.toString()).toContain("valid (1 components");
    const no = Bun.spawnSync([process.execPath, MAIN, "monitor", "--check-config", bad]);
    expect(no.exitCode).toBe(78);
    const err = no.stderr.toString();
    expect(err).toContain(`component 'ospfd'.plane: must be one of control, fast, system, got "data"`);
    expect(err).toContain("monitor.tick_ms");
  });

  test("one error per mistake, by name; a start program that is missing or not executable by its user is refused (check-config only: at start-up it is that daemon's start failure)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-cc-"));
    const cfg = join(dir, "hamon.toml");
    const script = join(dir, "not-exec.sh");
    writeFileSync(script, "#!/bin/sh\nexit 0\n", { mode: 0o744 });
    writeFileSync(cfg, `[[component]]\nname = "nginx"\nstart = ["nginx"]\nready = "started"\n[[component]]\nname = "ghost"\nstart = ["/nonexistent/ghostd"]\n[[component]]\nname = "script"\nuser = "nobody"\nstart = ["${script}"]\n`);
    const { MAIN } = await import("../helpers/monitor-proc.ts");
    const r = Bun.spawnSync([process.execPath, MAIN, "monitor", "--check-config", cfg]);
    expect(r.exitCode).toBe(78);
    const lines = r.stderr.toString().trim().split("\n");
    // The relative path is one mistake: one line (not also "ready is for daemons hamon starts").
    expect(lines.filter((l) => l.includes("component 'nginx'"))).toEqual([`${cfg}: component 'nginx'.start[0]: must be an absolute path (no PATH lookup), got "nginx"`]);
    writeFileSync(cfg, `[[component]]\nname = "ghost"\nstart = ["/nonexistent/ghostd"]\n[[component]]\nname = "script"\nuser = "nobody"\nstart = ["${script}"]\n[[component]]\nname = "fine"\nstart = ["/bin/sleep", "1"]\n`);
    const r2 = Bun.spawnSync([process.execPath, MAIN, "monitor", "--check-config", cfg]);
    expect(r2.exitCode).toBe(78);
    expect(r2.stderr.toString().trim().split("\n")).toEqual([
      `${cfg}: component 'ghost'.start[0]: /nonexistent/ghostd does not exist`,
      `${cfg}: component 'script'.start[0]: ${script} is not executable by nobody (mode 744, owner 0:0)`,
    ]);
  });

  test("a TOML syntax error says its line and column", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-cc-"));
    const cfg = join(dir, "hamon.toml");
    writeFileSync(cfg, `[monitor]\ntick_ms = 10\n\n[[component]]\nname = "zebra"\nplane = = "control"\n`);
    const r = Bun.spawnSync([process.execPath, MAIN_PATH, "monitor", "--check-config", cfg]);
    expect(r.exitCode).toBe(78);
    expect(r.stderr.toString()).toContain("TOML syntax at line 6, column 9: Expected a value but found '='");
  });
});

const MAIN_PATH = join(import.meta.dir, "..", "..", "src", "main.ts");

describe("check-config and start-up agree (one validation)", () => {
  test.each([
    ["unknown socket_group", `[security]\nsocket_group = "no-such-group-x"\n`, "security.socket_group"],
    ["socket_group past uid_t", `[security]\nsocket_group = "4294967296"\n`, "security.socket_group"],
    ["unknown control_users", `[security]\ncontrol_users = ["no-such-user-x"]\n`, "security.control_users"],
    ["unknown component user", `[[component]]\nname = "svc"\nuser = "no-such-user-x"\n`, "user 'no-such-user-x'"],
  ])("%s: --check-config exits 78 and so does the monitor, with the same message (never 70)", async (_label, toml, key) => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-cc-"));
    const cfg = join(dir, "hamon.toml");
    writeFileSync(cfg, toml);
    const { MAIN } = await import("../helpers/monitor-proc.ts");
    const cc = Bun.spawnSync([process.execPath, MAIN, "monitor", "--check-config", cfg]);
    expect(cc.exitCode).toBe(78);
    expect(cc.stderr.toString()).toContain(key);
    const run = Bun.spawnSync([process.execPath, MAIN, "monitor", "--config", cfg, "--socket", join(dir, "s.sock"), "--state-dir", join(dir, "state")], { timeout: 20_000 });
    expect(run.exitCode).toBe(78);
    expect(run.stderr.toString()).toContain(key);
    expect(run.stderr.toString()).not.toContain("RangeError");
  });
});

describe("client verbs on the command line", () => {
  test("activate, query (health and audit), restart, deactivate; errors exit non-zero with a message", async () => {
    const w = await watched(`${HEAD}[[component]]\nname = "ospfd"\nkind = "dynamic"\nstart = ${demoArgv("ospfd")}\n`);
    const { MAIN } = await import("../helpers/monitor-proc.ts");
    const hamon = (...args: string[]) => {
      const r = Bun.spawnSync([process.execPath, MAIN, ...args, "--socket", w.sock]);
      return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
    };
    expect(hamon("activate", "ospfd")).toMatchObject({ code: 0, out: "'ospfd' activated\n" });
    await w.waitEvent((e) => e.component === "ospfd" && e.event === "ready", "ready");
    expect(hamon("query", "ospfd")).toMatchObject({ code: 0, out: "ok: demo: all good\n" });
    expect(hamon("query", "ospfd", "--kind", "audit")).toMatchObject({ code: 0, out: "ok: demo audit: tables consistent\n" });
    const pid = await pidOf(w, "ospfd");
    const mark = w.events.length;
    expect(hamon("restart", "ospfd").code).toBe(0);
    await w.waitEvent((e) => e.component === "ospfd" && e.event === "ready", "ready after restart", mark);
    expect(await pidOf(w, "ospfd")).not.toBe(pid);
    expect(hamon("deactivate", "ospfd")).toMatchObject({ code: 0, out: "'ospfd' deactivated\n" });
    const nf = hamon("restart", "nobody");
    expect(nf.code).toBe(1);
    expect(nf.err).toContain("no component named 'nobody'");
    const q = hamon("query", "ospfd");
    expect(q.code).toBe(1);
    expect(q.err).toContain("not connected");
  }, 30_000);
});

describe("bad journal", () => {
  const rec = { name: "svc", active: true, quarantined: false, restarts: 0, pid: 0, startTime: 0 };
  test.each([
    ["not JSON", sealJournal("{\"version\": 2, \"engine\": ")],
    ["no checksum trailer (torn)", journalBody()],
    ["checksum mismatch", sealJournal(journalBody()).replace('"pid":1', '"pid":2')],
    ["wrong version", sealJournal(journalBody({ version: 99 }))],
    ["malformed engine state", sealJournal(journalBody({ engine: { starvedUntil: 0, components: [{ name: "svc", failures: "many" }] } }))],
    ["a component with a bad plane", sealJournal(journalBody({ components: [{ ...rec, plane: "data" }] }))],
    ["a component with a non-boolean flag", sealJournal(journalBody({ components: [{ ...rec, restarting: "yes" }] }))],
    ["a negative restart count", sealJournal(journalBody({ components: [{ ...rec, restarts: -3 }] }))],
    ["a name that is a path", sealJournal(journalBody({ components: [{ ...rec, name: "../../escape" }] }))],
  ])("%s: reported and ignored, the monitor starts fresh and overwrites it", async (_label, text) => {
    const stateDir = mkdtempSync(join(tmpdir(), "hamon-state-"));
    writeFileSync(join(stateDir, "journal.json"), text);
    const w = await watched(`${HEAD}[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`, stateDir);
    await until(async () => (await stateOf(w, "svc")) === "up/ok", "svc up");
    expect(w.stderr()).toContain("journal ignored");
    await until(() => {
      try {
        return readJournal(join(stateDir, "journal.json")).version === 2;
      } catch {
        return false;
      }
    }, "a valid journal written");
  }, 30_000);
});

describe("demo", () => {
  test("each `monitor --demo` run starts fresh: a new state dir with no journal of the last run", async () => {
    const { MAIN } = await import("../helpers/monitor-proc.ts");
    const { probeSocket } = await import("../../src/transport/unix.ts");
    const dirs: string[] = [];
    for (let run = 0; run < 2; run++) {
      const sock = join(mkdtempSync(join(tmpdir(), "hamon-demo-test-")), "s.sock");
      const p = Bun.spawn([process.execPath, MAIN, "monitor", "--demo", "--socket", sock], { stderr: "pipe", stdout: "ignore" });
      let err = "";
      void (async () => { for await (const c of p.stderr) err += new TextDecoder().decode(c); })();
      await until(() => /state_dir=(\S+)/.test(err), "the demo says its state dir", 10_000, () => err);
      const dir = /state_dir=(\S+)/.exec(err)![1]!.replace(/^"|"$/g, "");
      expect(err).not.toContain("journal reloaded");
      dirs.push(dir);
      await until(async () => (await probeSocket(sock)) === "alive", "demo listening");
      p.kill("SIGTERM");
      await p.exited;
      expect(existsSync(join(dir, "journal.json"))).toBe(true); // it did write one…
    }
    expect(dirs[0]).not.toBe(dirs[1]); // …which the next run does not reuse
  }, 30_000);
});
