/**
 * Plain daemons owned by the monitor (issue 18, first part): no library, no
 * process of ours beside them. Readiness by `ready = "started" | "probe"`;
 * watched by probe checks (connect, send/expect: what catches a hang, since a
 * stopped daemon's socket still accepts) and exec checks the monitor runs
 * itself; a SIGSTOPped daemon is stopped with SIGTERM + SIGCONT and restarted.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config.ts";
import { pidOf, startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";
import { freePort } from "../helpers/port.ts";

const PONG = join(import.meta.dir, "..", "fixtures", "pong.ts");
const running: Watched[] = [];
const pids: number[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const p of pids.splice(0)) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
});

/** The config is refused with an error on `key` that says `why`. */
function refused(toml: string, key: string, why: string): void {
  const r = parseConfig(toml);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.find((l) => l.startsWith(`${key}: `) && l.includes(why))).toBeDefined();
}


const pongd = (port: number, extra = "") => `[monitor]\nstop_timeout_ms = 2000\nstop_on_exit = true\n[defaults]\ngrace_ms = 0\n[[component]]\nname = "pongd"\nstart = ${JSON.stringify([process.execPath, PONG, String(port)])}\nready = "probe"\n${extra}[[component.check]]\nname = "pong"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${port}"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 200\ntimeout_ms = 200\n`;

describe("plain daemons", () => {
  test("ready = probe: up once the probe answers; SIGSTOP → the probe's expect times out → restarted (SIGTERM + SIGCONT) → ready again", async () => {
    const port = freePort();
    const w = await startWatched(pongd(port));
    running.push(w);
    // Ready right at the monitor's start, before a subscriber can connect: read the log.
    await until(() => /msg="event ready" component=pongd reason="its probe passed/.test(w.stderr()), "ready by probe", 15_000, () => w.stderr());
    expect(await stateOf(w, "pongd")).toBe("up/ok");
    const pid = await pidOf(w, "pongd");
    pids.push(pid);
    const mark = w.events.length;
    process.kill(pid, "SIGSTOP");
    const failed = await w.waitEvent((e) => e.component === "pongd" && e.event === "check-failed", "the hang seen", mark, 10_000);
    expect(failed.reason).toContain("no 'PONG' within 180 ms");
    await w.waitEvent((e) => e.component === "pongd" && e.event === "recover" && e.level === "restart-daemon", "restart decided", mark);
    await w.waitEvent((e) => e.component === "pongd" && e.event === "ready", "ready again", mark, 15_000);
    const pid2 = await pidOf(w, "pongd");
    expect(pid2).not.toBe(pid);
    pids.push(pid2);
    await until(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, "the stopped daemon is gone (SIGCONT let SIGTERM act)");
  }, 40_000);

  test("a hang during the grace after a restart is cured once the grace ends (the check fails on, with no new transition)", async () => {
    const port = freePort();
    const w = await startWatched(pongd(port).replace("grace_ms = 0", "grace_ms = 1500"));
    running.push(w);
    await until(() => /msg="event ready" component=pongd /.test(w.stderr()), "ready by probe", 15_000, () => w.stderr());
    const pid = await pidOf(w, "pongd");
    pids.push(pid);
    let mark = w.events.length;
    process.kill(pid, "SIGKILL");
    await w.waitEvent((e) => e.component === "pongd" && e.event === "ready", "ready after the kill", mark, 15_000);
    const pid2 = await pidOf(w, "pongd");
    pids.push(pid2);
    mark = w.events.length;
    process.kill(pid2, "SIGSTOP"); // inside the 1.5 s grace
    await w.waitEvent((e) => e.component === "pongd" && e.event === "ignored", "the hang ignored during grace", mark);
    const rec = await w.waitEvent((e) => e.component === "pongd" && e.event === "recover", "recovered once grace ended", mark, 15_000);
    expect(rec.reason).toContain("still failing after the grace period");
    await w.waitEvent((e) => e.component === "pongd" && e.event === "ready", "ready again", mark, 15_000);
    const pid3 = await pidOf(w, "pongd");
    pids.push(pid3);
    expect(pid3).not.toBe(pid2);
  }, 40_000);

  test("ready = started with a monitoring plugin's exec check (codes = nagios): up at once; its exit 1 is degraded; kill -9 → restarted", async () => {
    const w = await startWatched(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "sleepy"\nstart = ["/bin/sleep", "600"]\nready = "started"\n[[component.check]]\nname = "self-test"\nmode = "exec"\nargv = ["/bin/sh", "-c", "echo table drift; exit 1"]\ncodes = "nagios"\nperiod_ms = 300\ntimeout_ms = 300\n`);
    running.push(w);
    await until(() => /msg="event ready" component=sleepy reason="started/.test(w.stderr()), "ready at start", 10_000, () => w.stderr());
    // The first exec check runs at the monitor's start, maybe before a subscriber is there: read the state.
    await until(async () => (await stateOf(w, "sleepy")) === "up/degraded", "the exec check's degraded", 10_000, () => w.stderr());
    expect(w.stderr()).toMatch(/msg="event degraded" component=sleepy reason="table drift \(exit 1\)"/);
    const pid = await pidOf(w, "sleepy");
    const mark = w.events.length;
    process.kill(pid, "SIGKILL");
    await w.waitEvent((e) => e.component === "sleepy" && e.event === "exited", "death seen", mark);
    await w.waitEvent((e) => e.component === "sleepy" && e.event === "ready", "ready again", mark, 10_000);
    expect(await pidOf(w, "sleepy")).not.toBe(pid);
  }, 30_000);

  test("ready = pidfile (a forking daemon): the launcher's exit is no failure, the daemon is the pid in the file; kill -9 → restarted; a new monitor adopts it by the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-fork-"));
    const pidfile = join(dir, "forky.pid");
    const toml = `[defaults]\ngrace_ms = 0\n[[component]]\nname = "forky"\nstart = ["/bin/sh", "-c", "sleep 600 & echo $! > ${pidfile}"]\npidfile = "${pidfile}"\nready = "pidfile"\n`;
    const w = await startWatched(toml);
    running.push(w);
    await until(() => /msg="event ready" component=forky reason="pid file names pid \d+/.test(w.stderr()), "ready by its pid file", 10_000, () => w.stderr());
    const pid = await pidOf(w, "forky");
    pids.push(pid);
    expect(readFileSync(pidfile, "utf8").trim()).toBe(String(pid));
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]).toBe("sleep"); // the daemon, not its launcher
    expect(await stateOf(w, "forky")).toBe("up/ok");
    const mark = w.events.length;
    process.kill(pid, "SIGKILL");
    await w.waitEvent((e) => e.component === "forky" && e.event === "exited", "the daemon's death seen", mark);
    await w.waitEvent((e) => e.component === "forky" && e.event === "ready", "ready again", mark, 10_000);
    const pid2 = await pidOf(w, "forky");
    expect(pid2).not.toBe(pid);
    pids.push(pid2);
    expect(w.events.slice(mark).filter((e) => e.component === "forky" && e.event === "exited").length).toBe(1); // the launcher's exit 0 is not one
    // A new monitor (the old one killed) adopts the daemon its pid file names.
    w.proc.kill("SIGKILL");
    await w.proc.exited;
    running.splice(running.indexOf(w), 1);
    const w2 = await startWatched(toml, w.stateDir, w.sock);
    running.push(w2);
    await until(async () => (await stateOf(w2, "forky")) === "up/ok", "adopted", 10_000, () => w2.stderr());
    expect(await pidOf(w2, "forky")).toBe(pid2);
  }, 40_000);

  test.each([
    [`ready = "pidfile"\n`, "component 'd'.pidfile", "is required with ready"],
    [`ready = "probe"\n`, "component 'd'.ready", "needs at least one probe or exec check"],
    [`ready = "started"\n[[component.check]]\nname = "h"\n`, "component 'd'.check[0].mode", "must be probe or exec"],
    [`[[component.check]]\nname = "p"\nmode = "probe"\n`, "component 'd'.check[0].connect", "is required for a probe check"],
    [`[[component.check]]\nname = "p"\nmode = "probe"\nconnect = "http://x"\n`, "component 'd'.check[0].connect", "expected tcp://HOST:PORT or unix:PATH"],
    [`[[component.check]]\nname = "x"\nmode = "exec"\n`, "component 'd'.check[0].argv", "is required"],
    [`[[component.check]]\nname = "x"\nmode = "exec"\nargv = ["/bin/true"]\nsend = "hi"\n`, "component 'd'.check[0].send", "is not a key of a exec check"],
  ])("config: %s → %s", (extra, key, why) => refused(`[[component]]\nname = "d"\nstart = ["/bin/sleep", "9"]\n${extra}`, key, why));
});

describe("start order and bindings", () => {
  test("after: started only once what it starts after is ready; binds_to: restarted with it, then held until it is ready again", async () => {
    const port = freePort();
    const pongArgv = JSON.stringify([process.execPath, PONG, String(port)]);
    // zebra is slow to serve (a probe readiness); bgpd starts after it and binds to it. bgpd is listed first.
    const w = await startWatched(`[monitor]\nstop_on_exit = true\n[defaults]\ngrace_ms = 0\n[[component]]\nname = "bgpd"\nstart = ["/bin/sleep", "600"]\nready = "started"\nafter = ["zebra"]\nbinds_to = ["zebra"]\n[[component]]\nname = "zebra"\nstart = ${pongArgv}\nready = "probe"\n[[component.check]]\nname = "up"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${port}"\nperiod_ms = 100\ntimeout_ms = 100\n`);
    running.push(w);
    await until(async () => (await stateOf(w, "bgpd")) === "up/ok" && (await stateOf(w, "zebra")) === "up/ok", "both up", 15_000, () => w.stderr());
    const log = w.stderr();
    expect(log.indexOf('msg="event ready" component=zebra ')).toBeLessThan(log.indexOf('msg="event started" component=bgpd ')); // the order
    const bgpd1 = await pidOf(w, "bgpd");
    const zebra1 = await pidOf(w, "zebra");
    pids.push(bgpd1, zebra1);
    const mark = w.events.length;
    process.kill(zebra1, "SIGKILL");
    await w.waitEvent((e) => e.component === "bgpd" && e.event === "stopped", "bgpd stopped with zebra", mark, 10_000);
    await w.waitEvent((e) => e.component === "zebra" && e.event === "ready", "zebra ready again", mark, 15_000);
    const bgpdStart = await w.waitEvent((e) => e.component === "bgpd" && e.event === "started", "bgpd started again", mark, 15_000);
    const zebraReady = w.events.findIndex((e, i) => i >= mark && e.component === "zebra" && e.event === "ready");
    expect(w.events.indexOf(bgpdStart)).toBeGreaterThan(zebraReady); // after zebra was ready again
    const bgpd2 = await pidOf(w, "bgpd");
    expect(bgpd2).not.toBe(bgpd1);
    pids.push(bgpd2, await pidOf(w, "zebra"));
  }, 40_000);

  test.each([
    [`after = ["nobody"]\n`, "component 'd'.after", "names no declared component"],
    [`binds_to = ["d"]\n`, "component 'd'.binds_to", "names the component itself"],
    [`after = "e"\n`, "component 'd'.after", "must be an array of component names"],
  ])("config: %s → %s", (extra, key, why) => refused(`[[component]]\nname = "d"\nstart = ["/bin/sleep", "9"]\n${extra}[[component]]\nname = "e"\nstart = ["/bin/sleep", "9"]\n`, key, why));

  test("config: a cycle in after is refused", () => {
    const r = parseConfig(`[[component]]\nname = "a"\nstart = ["/bin/sleep", "9"]\nafter = ["b"]\n[[component]]\nname = "b"\nstart = ["/bin/sleep", "9"]\nafter = ["a"]\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toMatch(/after: forms a cycle.*a → b → a|after: forms a cycle.*b → a → b/);
  });
});

describe("the daemon's environment", () => {
  test("cwd and env reach the daemon (beside hamon's own variables)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-cwd-"));
    const out = join(dir, "out.txt");
    const w = await startWatched(`[[component]]\nname = "envd"\nstart = ["/bin/sh", "-c", "pwd > ${out}; echo $GREETING $HAMON_COMPONENT >> ${out}; exec sleep 600"]\nready = "started"\ncwd = "${dir}"\nenv = { GREETING = "hello" }\n`);
    running.push(w);
    await until(() => { try { return readFileSync(out, "utf8").split("\n").length >= 3; } catch { return false; } }, "the daemon wrote what it saw", 10_000, () => w.stderr());
    expect(readFileSync(out, "utf8")).toBe(`${dir}\nhello envd\n`);
    pids.push(await pidOf(w, "envd"));
  }, 20_000);

  test.each([
    [`env = { LD_PRELOAD = "/tmp/x.so" }\n`, "component 'd'.env.LD_PRELOAD", "is reserved"],
    [`env = { HAMON_SOCKET = "/x" }\n`, "component 'd'.env.HAMON_SOCKET", "is reserved"],
    [`env = { "A-B" = "x" }\n`, "component 'd'.env", "names must be"],
    [`env = { N = 3 }\n`, "component 'd'.env.N", "must be a string"],
    [`cwd = "relative"\n`, "component 'd'.cwd", "must match"],
  ])("config: %s → %s", (extra, key, why) => refused(`[[component]]\nname = "d"\nstart = ["/bin/sleep", "9"]\n${extra}`, key, why));
});

describe("a daemon's output", () => {
  test("output = log: stdout and stderr in the state dir, rotated at log_max_bytes on a line's end, read by `hamon logs`; the daemon survives a monitor kill -9 and the next monitor drains it again", async () => {
    const { MAIN } = await import("../helpers/monitor-proc.ts");
    const script = `i=0; while :; do i=$((i+1)); echo "out line $i"; echo "err line $i" >&2; sleep 0.01; done`;
    const toml = `[[component]]\nname = "chatty"\nstart = ["/bin/sh", "-c", ${JSON.stringify(script)}]\nready = "started"\noutput = "log"\nlog_max_bytes = 4096\nlog_keep = 2\n`;
    const w = await startWatched(toml);
    running.push(w);
    const path = join(w.stateDir, "logs", "chatty.log");
    await until(() => { try { return readFileSync(path, "utf8").includes("err line 3"); } catch { return false; } }, "stdout and stderr in the log", 10_000, () => w.stderr());
    expect(w.stderr()).not.toContain("out line"); // not the monitor's stderr any more
    await until(() => existsSync(`${path}.2`), "rotated twice", 15_000);
    for (const f of [`${path}.1`, `${path}.2`]) {
      const text = readFileSync(f, "utf8");
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(text.length).toBeGreaterThan(3500);
      expect(text.endsWith("\n")).toBe(true); // cut on a line's end
    }
    const r = Bun.spawnSync([process.execPath, MAIN, "logs", "chatty", "--lines", "3", "--state-dir", w.stateDir]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines.length).toBe(3);
    for (const l of lines) expect(l).toMatch(/^(out|err) line \d+$/);
    const pid = await pidOf(w, "chatty");
    pids.push(pid);
    // The monitor dies: the daemon's writes fail with EPIPE (SIGPIPE ignored for it), and it runs on.
    w.proc.kill("SIGKILL");
    await w.proc.exited;
    running.splice(running.indexOf(w), 1);
    await Bun.sleep(300);
    expect(() => process.kill(pid, 0)).not.toThrow();
    // The next monitor adopts it and drains its output again (its pipes reopened through /proc).
    const w2 = await startWatched(toml, w.stateDir, w.sock);
    running.push(w2);
    await until(async () => (await pidOf(w2, "chatty")) === pid, "adopted", 10_000, () => w2.stderr());
    const last = () => Math.max(...[path, `${path}.1`].flatMap((f) => { try { return [...readFileSync(f, "utf8").matchAll(/out line (\d+)/g)].map((m) => Number(m[1])); } catch { return []; } }));
    const seen = last();
    await until(() => last() > seen + 20, "new lines from the adopted daemon in its log", 10_000, () => w2.stderr());
  }, 40_000);
});

describe("who the daemon runs as", () => {
  test("user (and its primary group), umask: the daemon runs as nobody with no supplementary group and creates files 0600", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-runas-"));
    chmodSync(dir, 0o1777);
    const f = join(dir, "made-by-daemon");
    const w = await startWatched(`[[component]]\nname = "lowly"\nstart = ["/bin/sh", "-c", "touch ${f}; exec sleep 600"]\nready = "started"\nuser = "nobody"\numask = "077"\n`);
    running.push(w);
    await until(() => existsSync(f), "the daemon made its file", 10_000, () => w.stderr());
    const pid = await pidOf(w, "lowly");
    pids.push(pid);
    const st = readFileSync(`/proc/${pid}/status`, "utf8");
    expect(/^Uid:\s+(\d+)/m.exec(st)?.[1]).toBe("65534");
    expect(/^Gid:\s+(\d+)/m.exec(st)?.[1]).toBe("65534");
    expect(/^Groups:[ \t]*(.*)$/m.exec(st)?.[1]?.trim()).toBe(""); // root's groups are not inherited
    expect(statSync(f).mode & 0o777).toBe(0o600);
  }, 20_000);

  test("nofile: the daemon (as nobody, too) runs with that open-file limit, soft and hard, under its own pid and argv; a new monitor adopts it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-nofile-"));
    chmodSync(dir, 0o1777);
    const f = join(dir, "limits");
    const argv = ["/bin/sh", "-c", `echo $(ulimit -Sn) $(ulimit -Hn) > ${f}; exec sleep 600`];
    const toml = `[monitor]\nstop_on_exit = false\n[[component]]\nname = "fds"\nstart = ${JSON.stringify(argv)}\nready = "started"\nuser = "nobody"\nnofile = 333\n`;
    const state = mkdtempSync(join(tmpdir(), "hamon-state-"));
    const w = await startWatched(toml, state);
    await until(() => existsSync(f) && readFileSync(f, "utf8").includes(" "), "the daemon wrote its limits", 10_000, () => w.stderr());
    expect(readFileSync(f, "utf8").trim()).toBe("333 333");
    const pid = await pidOf(w, "fds");
    pids.push(pid);
    expect(readFileSync(`/proc/${pid}/limits`, "utf8")).toMatch(/Max open files\s+333\s+333/);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain("prlimit"); // prlimit exec'd it: no wrapper left
    w.proc.kill("SIGKILL");
    await w.proc.exited;
    const w2 = await startWatched(toml, state);
    running.push(w2);
    await until(async () => (await stateOf(w2, "fds")) === "up/ok", "adopted", 10_000, () => w2.stderr());
    expect(await pidOf(w2, "fds")).toBe(pid);
    refused(`[[component]]\nname = "x"\nstart = ["/bin/true"]\nready = "started"\nnofile = 8\n`, "component 'x'.nofile", "16");
  }, 30_000);

  test("an unknown group is refused by --check-config and at start alike", () => {
    const r = parseConfig(`[[component]]\nname = "d"\nstart = ["/bin/sleep", "9"]\ngroup = "no-such-group-x"\n`);
    expect(r.ok).toBe(true); // the syntax is fine; the name is resolved as the monitor will
    const { MAIN } = require("../helpers/monitor-proc.ts") as typeof import("../helpers/monitor-proc.ts");
    const dir = mkdtempSync(join(tmpdir(), "hamon-grp-"));
    writeFileSync(join(dir, "h.toml"), `[[component]]\nname = "d"\nstart = ["/bin/sleep", "9"]\ngroup = "no-such-group-x"\n`);
    const cc = Bun.spawnSync([process.execPath, MAIN, "monitor", "--check-config", join(dir, "h.toml")]);
    expect(cc.exitCode).toBe(78);
    expect(cc.stderr.toString()).toContain("group 'no-such-group-x' does not exist");
  });
});
