/**
 * The sidecar end to end: the compiled binary as `hamon component`, a real
 * monitor process, real daemons (sleep), real TCP/UNIX listeners for probes,
 * a real audit script. What the monitor shows is read with `hamon status --json`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ComponentStatus } from "../../src/protocol/messages.ts";
import { BIN, buildBinary, runBin } from "../helpers/binary.ts";
import { startMonitor, type MonitorProc } from "../helpers/monitor-proc.ts";
import { until } from "../helpers/wait.ts";

const PONG = join(import.meta.dir, "..", "fixtures", "pong.ts");
import { processStartTime } from "../../src/sys/proc.ts";

const DIR = mkdtempSync(join(tmpdir(), "hamon-sidecar-"));
let mon: MonitorProc;
const procs: Bun.Subprocess[] = [];

beforeAll(async () => {
  await buildBinary();
  mon = await startMonitor([], [BIN]);
}, 60_000);
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await mon.stop();
});

function sidecar(args: string[]): Bun.Subprocess<"ignore", "pipe", "pipe"> {
  const p = Bun.spawn([BIN, "component", "--socket", mon.sock, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  procs.push(p);
  return p;
}

function spawnDaemon(): Bun.Subprocess {
  const p = Bun.spawn(["sleep", "60"]);
  procs.push(p);
  return p;
}

function statusOf(name: string): ComponentStatus | null {
  const r = runBin(["status", "--socket", mon.sock, "--json"]);
  return (JSON.parse(r.out).components as ComponentStatus[]).find((c) => c.name === name) ?? null;
}

function events(name: string): string[] {
  const r = runBin(["events", "--state-dir", join(mon.dir, "state"), "--json", "--last", "500"]);
  return r.out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.component === name).map((e) => `${e.event}: ${e.reason}`);
}

const comm = (pid: number) => Bun.spawnSync(["ps", "-o", "comm=", "-p", String(pid)]).stdout.toString().trim();

describe("owning a daemon", () => {
  test("kill -9 → reported failed → the monitor decides restart-daemon → the sidecar restarts it, registered again under the new pid", async () => {
    const side = sidecar(["--name", "sleeper", "--", "sleep", "60"]);
    await until(() => statusOf("sleeper")?.state === "up", "sleeper registered");
    const first = statusOf("sleeper")!.pid;
    expect(first).not.toBe(side.pid);
    expect(comm(first)).toBe("sleep");
    process.kill(first, "SIGKILL");
    await until(() => { const s = statusOf("sleeper"); return !!s && s.pid !== first && s.state === "up" && s.restarts === 1; }, "sleeper restarted");
    const second = statusOf("sleeper")!.pid;
    expect(comm(second)).toBe("sleep");
    expect(side.exitCode).toBeNull();
    const ev = events("sleeper");
    expect(ev).toContainEqual("report-failed: killed by SIGKILL");
    expect(ev.some((e) => e.startsWith("restart-delegated: "))).toBe(true);
    expect(ev).toContainEqual(expect.stringMatching(new RegExp(`^restarted: restarted: pid ${second} \\(previous pid ${first} killed by SIGKILL\\)$`)));
    side.kill("SIGTERM");
    expect(await side.exited).toBe(143);
  });

  test("the operator's restart verb reaches the sidecar: the daemon is replaced", async () => {
    const side = sidecar(["--name", "opr", "--", "sleep", "60"]);
    await until(() => statusOf("opr")?.state === "up", "opr registered");
    const first = statusOf("opr")!.pid;
    const r = runBin(["restart", "--socket", mon.sock, "opr"]);
    expect(r.code).toBe(0);
    await until(() => { const s = statusOf("opr"); return !!s && s.pid !== first && s.state === "up"; }, "opr restarted");
    await until(() => Bun.spawnSync(["kill", "-0", String(first)]).exitCode !== 0, "old daemon gone");
    side.kill("SIGTERM");
    await side.exited;
  });

  test("--exit-with-daemon: the daemon's death ends the sidecar with its status (137)", async () => {
    const side = sidecar(["--name", "mortal", "--exit-with-daemon", "--", "sleep", "60"]);
    await until(() => statusOf("mortal")?.state === "up", "mortal registered");
    process.kill(statusOf("mortal")!.pid, "SIGKILL");
    expect(await side.exited).toBe(137);
    await until(() => statusOf("mortal")?.state === "down", "mortal down");
    expect(statusOf("mortal")!.reason).toContain("killed by SIGKILL");
  });

  test("SIGTERM to the sidecar stops the daemon and deregisters it (no alarm); exit 143", async () => {
    const side = sidecar(["--name", "polite", "--", "sleep", "60"]);
    await until(() => statusOf("polite")?.state === "up", "polite registered");
    const pid = statusOf("polite")!.pid;
    side.kill("SIGTERM");
    expect(await side.exited).toBe(143);
    await until(() => statusOf("polite") === null, "polite deregistered");
    expect(Bun.spawnSync(["kill", "-0", String(pid)]).exitCode).not.toBe(0);
  });

  test("deactivate (dynamic): the monitor asks the sidecar to stop its daemon; it deregisters and exits 0", async () => {
    const side = sidecar(["--name", "ripd", "--kind", "dynamic", "--", "sleep", "60"]);
    await until(() => statusOf("ripd")?.state === "up", "ripd registered");
    const pid = statusOf("ripd")!.pid;
    expect(runBin(["deactivate", "--socket", mon.sock, "ripd"]).code).toBe(0);
    expect(await side.exited).toBe(0);
    expect(Bun.spawnSync(["kill", "-0", String(pid)]).exitCode).not.toBe(0);
    expect(statusOf("ripd")?.state).toBe("inactive");
    expect(events("ripd")).toContainEqual(expect.stringMatching(/^stopped: stopped: pid \d+ killed by SIGTERM \(deactivated\)$/));
  });
});

describe("a sidecar killed with SIGKILL (its daemon is not its to lose)", () => {
  // An orphan is reaped by whoever inherits it, perhaps never here (a container's init): a zombie counts as gone.
  const alive = (pid: number) => processStartTime(pid) !== null;
  const children = (pid: number) => Bun.spawnSync(["ps", "-o", "pid=", "--ppid", String(pid)]).stdout.toString().split(/\s+/).filter(Boolean).map(Number);
  /** Starts a sidecar owning `sleep SECS`, waits for it, SIGKILLs it; returns the daemon left running. */
  async function orphan(name: string, secs: string): Promise<number> {
    const a = sidecar(["--name", name, "--", "sleep", secs]);
    await until(() => statusOf(name)?.state === "up", `${name} registered`);
    const daemon = statusOf(name)!.pid;
    a.kill("SIGKILL");
    await a.exited;
    await until(() => statusOf(name)?.state !== "up", `${name}: connection loss seen`);
    expect(alive(daemon)).toBe(true);
    return daemon;
  }

  test("the next sidecar adopts the running daemon (no second copy); the operator's restart replaces it with a child of the new sidecar", async () => {
    const daemon = await orphan("bgpd", "60");
    const b = sidecar(["--name", "bgpd", "--", "sleep", "60"]);
    await until(() => statusOf("bgpd")?.state === "up", "bgpd registered again");
    expect(statusOf("bgpd")!.pid).toBe(daemon);
    expect(children(b.pid)).toEqual([]);
    expect(runBin(["restart", "--socket", mon.sock, "bgpd"]).code).toBe(0);
    await until(() => { const s = statusOf("bgpd"); return !!s && s.pid !== daemon && s.state === "up"; }, "bgpd restarted");
    await until(() => !alive(daemon), "adopted daemon stopped");
    expect(children(b.pid)).toEqual([statusOf("bgpd")!.pid]);
    b.kill("SIGTERM");
    expect(await b.exited).toBe(143);
  });

  test("an adopted daemon's death is seen without being its parent: reported failed, and --exit-with-daemon ends the sidecar (1: its status is unknown)", async () => {
    const daemon = await orphan("ospfd", "61");
    const b = sidecar(["--name", "ospfd", "--exit-with-daemon", "--", "sleep", "61"]);
    await until(() => statusOf("ospfd")?.pid === daemon && statusOf("ospfd")?.state === "up", "ospfd adopted");
    process.kill(daemon, "SIGKILL");
    expect(await b.exited).toBe(1);
    expect(events("ospfd")).toContainEqual(`report-failed: process ${daemon} is gone`);
  });

  test("a daemon left with other arguments is stopped before ours starts: exactly one copy runs", async () => {
    const old = await orphan("isisd", "62");
    const b = sidecar(["--name", "isisd", "--", "sleep", "63"]);
    await until(() => { const s = statusOf("isisd"); return !!s && s.pid !== old && s.state === "up"; }, "isisd started anew");
    expect(alive(old)).toBe(false);
    expect(children(b.pid)).toEqual([statusOf("isisd")!.pid]);
    b.kill("SIGTERM");
    await b.exited;
  });

  test("a daemon whose sidecar still lives is not taken: the second sidecar exits 1 and says whose it is", async () => {
    const a = sidecar(["--name", "ldpd", "--", "sleep", "64"]);
    await until(() => statusOf("ldpd")?.state === "up", "ldpd registered");
    const daemon = statusOf("ldpd")!.pid;
    const b = sidecar(["--name", "ldpd", "--", "sleep", "64"]);
    expect(await b.exited).toBe(1);
    expect(await new Response(b.stderr).text()).toContain(`its daemon (pid ${daemon}) is owned by a running sidecar (pid ${a.pid})`);
    expect(alive(daemon)).toBe(true);
    expect(statusOf("ldpd")).toMatchObject({ state: "up", pid: daemon });
    a.kill("SIGTERM");
    await a.exited;
  });
});

describe("watching a daemon started elsewhere", () => {
  test("--pid: its death is reported and the sidecar exits 1 (the pid cannot come back)", async () => {
    const victim = spawnDaemon();
    const side = sidecar(["--name", "watched", "--pid", String(victim.pid)]);
    await until(() => statusOf("watched")?.state === "up", "watched registered");
    expect(statusOf("watched")!.pid).toBe(victim.pid);
    victim.kill("SIGKILL");
    expect(await side.exited).toBe(1);
    await until(() => statusOf("watched")?.state === "down", "watched down");
  });

  test("SIGTERM to a watching sidecar deregisters; the daemon is left alone (exit 0)", async () => {
    const victim = spawnDaemon();
    const side = sidecar(["--name", "observer", "--pid", String(victim.pid)]);
    await until(() => statusOf("observer")?.state === "up", "observer registered");
    side.kill("SIGTERM");
    expect(await side.exited).toBe(0);
    await until(() => statusOf("observer") === null, "observer deregistered");
    expect(victim.exitCode).toBeNull();
  });

  test("--pidfile: a daemon restarted by someone else is followed to its new pid", async () => {
    const pidfile = join(DIR, "ntpd.pid");
    const a = spawnDaemon();
    writeFileSync(pidfile, `${a.pid}\n`);
    const side = sidecar(["--name", "ntpd", "--pidfile", pidfile, "--interval", "50"]);
    await until(() => statusOf("ntpd")?.pid === a.pid, "ntpd registered with the first pid");
    a.kill("SIGKILL");
    await until(() => statusOf("ntpd")?.health === "failed", "ntpd reported failed");
    const b = spawnDaemon();
    writeFileSync(pidfile, `${b.pid}\n`);
    await until(() => { const s = statusOf("ntpd"); return s?.pid === b.pid && s.state === "up" && s.health === "ok"; }, "ntpd followed to the new pid");
    expect(side.exitCode).toBeNull();
    side.kill("SIGTERM");
    expect(await side.exited).toBe(0);
  });
});

describe("probes and the audit command", () => {
  test("registers only once every probe connects; a probe that stops answering is reported failed, and ok again when it answers", async () => {
    const victim = spawnDaemon();
    const unixPath = join(DIR, "svc.sock");
    const side = sidecar(["--name", "svc", "--pid", String(victim.pid), "--probe", `unix:${unixPath}`, "--probe", "tcp://127.0.0.1:PORT".replace("PORT", "1"), "--interval", "50"]);
    await Bun.sleep(300);
    expect(statusOf("svc")).toBeNull(); // nothing listens yet: not registered
    side.kill("SIGTERM");
    await side.exited;

    const tcp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const ux = Bun.listen({ unix: unixPath, socket: { data() {} } });
    const side2 = sidecar(["--name", "svc", "--pid", String(victim.pid), "--probe", `unix:${unixPath}`, "--probe", `tcp://127.0.0.1:${tcp.port}`, "--interval", "50"]);
    await until(() => statusOf("svc")?.state === "up", "svc registered");
    const port = tcp.port;
    tcp.stop(true);
    // Two paths see it, whichever comes first: the sidecar's own probe tick (a report, reason "probe …") and the
    // monitor's health query (reason "check 'health' failed: probe …"). Either way the reason names the probe and
    // the errno; a probe caught mid-handshake when the listener closed may see the reset instead of the refusal.
    await until(() => statusOf("svc")?.health === "failed", "svc probe failure reported");
    expect(statusOf("svc")!.reason).toMatch(new RegExp(`^(check 'health' failed: )?tcp://127\\.0\\.0\\.1:${port}: (ECONNREFUSED|ECONNRESET)$`));
    const again = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    await until(() => statusOf("svc")?.health === "ok", "svc ok again");
    const q = runBin(["query", "--socket", mon.sock, "svc"]);
    expect(q).toEqual({ code: 0, out: `ok: pid ${victim.pid} running, 2 checks passed\n`, err: "" });
    again.stop(true);
    ux.stop(true);
    side2.kill("SIGTERM");
    await side2.exited;
  });

  test("the monitor's own check runner: --probe with --send/--expect sees a SIGSTOPped daemon (its socket still accepts); --check-cmd exit 1 is degraded", async () => {
    const port = await new Promise<number>((resolve) => {
      const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      resolve(l.port);
      l.stop(true);
    });
    const rc = join(DIR, "check.rc");
    writeFileSync(rc, "0");
    const check = join(DIR, "check.sh");
    writeFileSync(check, `#!/bin/sh\necho "table has $(cat ${rc}) stale entries"\nexit $(cat ${rc})\n`);
    chmodSync(check, 0o755);
    const side = sidecar(["--name", "pongd", "--probe", `tcp://127.0.0.1:${port}`, "--send", "PING\\n", "--expect", "PONG", "--check-cmd", check, "--probe-timeout", "300", "--interval", "100", "--", process.execPath, PONG, String(port)]);
    await until(() => statusOf("pongd")?.state === "up" && statusOf("pongd")?.health === "ok", "pongd registered once its probe answered");
    writeFileSync(rc, "1");
    await until(() => statusOf("pongd")?.health === "degraded", "the exec check's exit 1 reported degraded");
    expect(statusOf("pongd")!.reason).toBe("table has 1 stale entries (exit 1)");
    writeFileSync(rc, "0");
    await until(() => statusOf("pongd")?.health === "ok", "ok again");
    const pid = statusOf("pongd")!.pid;
    process.kill(pid, "SIGSTOP");
    // The hang is seen (a failed check naming the missing answer); what follows — the monitor's restart, which now
    // wakes the stopped daemon so that SIGTERM acts — may already have replaced it by the time status is read.
    await until(() => events("pongd").some((e) => e.includes(`tcp://127.0.0.1:${port}: no 'PONG' within 300 ms`)), "the hang seen by send/expect");
    try {
      process.kill(pid, "SIGCONT");
    } catch { /* already stopped by the restart (woken with SIGCONT, then SIGTERM) */ }
    side.kill("SIGTERM");
    await side.exited;
  });

  test("--audit-cmd answers audit queries: exit 0 ok, 1 degraded, 2 failed (hamon query exits 1), first line as detail", async () => {
    const script = join(DIR, "audit.sh");
    writeFileSync(script, `#!/bin/sh\ncat "${DIR}/audit.out"\nexit $(cat "${DIR}/audit.rc")\n`);
    chmodSync(script, 0o755);
    const side = sidecar(["--name", "lsdb", "--audit-cmd", `${script} --quick`, "--", "sleep", "60"]);
    await until(() => statusOf("lsdb")?.state === "up", "lsdb registered");
    const ask = (out: string, rc: number) => {
      writeFileSync(join(DIR, "audit.out"), out);
      writeFileSync(join(DIR, "audit.rc"), String(rc));
      return runBin(["query", "--socket", mon.sock, "lsdb", "--kind", "audit"]);
    };
    expect(ask("lsdb consistent\n", 0)).toEqual({ code: 0, out: "ok: lsdb consistent\n", err: "" });
    expect(ask("\n3 stale LSAs\nmore\n", 1)).toEqual({ code: 0, out: "degraded: 3 stale LSAs (exit 1)\n", err: "" });
    expect(ask("RIB/FIB mismatch\n", 2)).toEqual({ code: 1, out: "failed: RIB/FIB mismatch (exit 2)\n", err: "" });
    side.kill("SIGTERM");
    await side.exited;
  });
});

test.each([
  [["component", "--name", "x"], "give exactly one of"],
  [["component", "--name", "x", "--pid", "1", "--", "true"], "give exactly one of"],
  [["component", "--name", "x", "--pid", "1", "--pidfile", "/f"], "give exactly one of"],
  [["component", "--name", "../x", "--", "true"], "--name must match"],
  [["component", "--", "true"], "Missing required argument: --name"],
  [["component", "--name", "x", "--pid", "12abc"], "--pid must be a decimal integer"],
  [["component", "--name", "x", "--probe", "ftp://h:1", "--", "true"], "--probe: probe 'ftp://h:1': expected tcp://HOST:PORT or unix:PATH"],
  [["component", "--name", "x", "--probe", "unix:rel/path", "--", "true"], "needs an absolute path"],
  [["component", "--name", "x", "--probe", "tcp://h:70000", "--", "true"], "port must be 1..65535"],
  [["component", "--name", "x", "--send", "x", "--", "true"], "--send belongs to a --probe: give it after one"],
  [["component", "--name", "x", "--probe", "tcp://h:1", "--send", "a\\q", "--", "true"], "--send: unknown escape '\\q'"],
  [["component", "--name", "x", "--probe", "tcp://h:1", "--expect", "a", "--expect", "b", "--", "true"], "--expect given twice for probe tcp://h:1"],
  [["component", "--name", "x", "--check-cmd", " ", "--", "true"], "--check-cmd is empty"],
  [["component", "--name", "x", "--stop-timeout", "60000", "--", "true"], "--stop-timeout must be between 0 and 20000"],
  [["component", "--name", "x", "--exit-with-daemon", "--pid", "1"], "--exit-with-daemon needs an owned daemon"],
])("%j → exit 2", (args, msg) => {
  const r = runBin(args);
  expect(r.code).toBe(2);
  expect(r.err).toContain(msg);
});
