/**
 * Discovery: the monitor lock, sd_notify, takeover after kill -9, guardians.
 * Real processes, real sockets, a C datagram sink standing in for systemd.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beaconPath } from "../../src/discovery/beacon.ts";
import { isLocked, lockPathFor, readHolder, tryLock } from "../../src/discovery/lock.ts";
import { plan } from "../../src/discovery/plan.ts";
import { Component } from "../../src/library/component.ts";
import { notifierFromEnv, watchdogPeriodMs } from "../../src/sys/sd-notify.ts";
import { MAIN, startMonitor, upCount } from "../helpers/monitor-proc.ts";
import { demoArgv, startWatched } from "../helpers/watched.ts";
import { until } from "../helpers/wait.ts";
import { collectLines } from "../helpers/lines.ts";
import { readJournal } from "../helpers/journal.ts";

const DIR = mkdtempSync(join(tmpdir(), "hamon-disc-"));
const HAMON = [process.execPath, MAIN];
const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const f of cleanup.reverse()) {
    try {
      f();
    } catch {
      /* already gone */
    }
  }
});

function killLater(pid: number): void {
  cleanup.push(() => process.kill(pid, "SIGKILL"));
}

/** Pids whose command line contains every one of `parts`. */
function pidsWith(...parts: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (parts.every((p) => cmd.includes(p))) out.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return out;
}

describe("plan (pure)", () => {
  const holder = { pid: 42, startTime: 7 };
  test.each([
    [{ answers: true, locked: true, holder, silentMs: 0 }, "ok"],
    [{ answers: false, locked: false, holder: null, silentMs: 0 }, "start"],
    [{ answers: false, locked: true, holder, silentMs: 500 }, "wait"],
    [{ answers: false, locked: true, holder, silentMs: 10_000 }, "kill"],
    [{ answers: false, locked: true, holder: null, silentMs: 60_000 }, "wait"],
  ] as const)("%j → %s", (o, step) => {
    expect(plan(o, 10_000).do).toBe(step);
  });
});

describe("monitor lock", () => {
  test("one holder at a time; the holder's identity is in the file; release lets the next one in", () => {
    const path = join(DIR, "l1", "hamon.sock.lock");
    const a = tryLock(path);
    expect(a.ok).toBe(true);
    const b = tryLock(path); // a second open file description: flock refuses it
    expect(b).toMatchObject({ ok: false, held: true });
    expect(readHolder(path)?.pid).toBe(process.pid);
    expect(isLocked(path)).toBe(true);
    if (a.ok) a.lock.release();
    expect(isLocked(path)).toBe(false);
    const c = tryLock(path);
    expect(c.ok).toBe(true);
    if (c.ok) c.lock.release();
  });

  test("a symlink planted at the lock path is refused, not followed", () => {
    mkdirSync(join(DIR, "l2"));
    const target = join(DIR, "l2", "victim");
    writeFileSync(target, "precious\n");
    symlinkSync(target, join(DIR, "l2", "hamon.sock.lock"));
    const r = tryLock(join(DIR, "l2", "hamon.sock.lock"));
    expect(r.ok).toBe(false);
    expect(readFileSync(target, "utf8")).toBe("precious\n");
  });

  test("a second monitor on the same socket exits 75 and names the holder", async () => {
    const m = await startMonitor();
    try {
      const p = Bun.spawnSync([...HAMON, "monitor", "--socket", m.sock, "--state-dir", join(m.dir, "state2")], { stderr: "pipe" });
      expect(p.exitCode).toBe(75);
      expect(p.stderr.toString()).toContain(`another monitor is active`);
      expect(p.stderr.toString()).toContain(`pid=${m.proc.pid}`);
    } finally {
      await m.stop();
    }
  });

  test("owned daemons never inherit it: killing the monitor frees the lock while its daemon runs on", async () => {
    const w = await startWatched(`[[component]]\nname = "keeper"\nstart = ${demoArgv("keeper")}\n`);
    const reg = await w.waitEvent((e) => e.event === "registered" && e.component === "keeper", "keeper registered");
    const daemon = Number(/pid (\d+)/.exec(reg.reason)?.[1]);
    killLater(daemon);
    const lockPath = lockPathFor(w.sock);
    const fds = readdirSync(`/proc/${daemon}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${daemon}/fd/${fd}`);
      } catch {
        return "";
      }
    });
    expect(fds).not.toContain(lockPath);
    expect(isLocked(lockPath)).toBe(true);
    w.proc.kill("SIGKILL");
    await w.proc.exited;
    await until(() => !isLocked(lockPath), "lock released by the kernel");
    expect(existsSync(`/proc/${daemon}`)).toBe(true);
    await w.close();
  });

  test("a stale lock file and a stale socket left by a dead monitor do not stop the next one", async () => {
    const m = await startMonitor();
    m.proc.kill("SIGKILL");
    await m.proc.exited;
    expect(existsSync(m.sock)).toBe(true); // Bun leaves the socket file behind on SIGKILL
    writeFileSync(lockPathFor(m.sock), "999999 1\n"); // and a lock file naming a process that is gone
    const m2 = await startMonitor([], undefined, m.sock);
    try {
      expect(readHolder(lockPathFor(m.sock))?.pid).toBe(m2.proc.pid);
    } finally {
      await m2.stop();
    }
  });
});

describe("sd_notify", () => {
  const SINK = join(DIR, "notify-sink");
  const built = Bun.spawnSync(["cc", "-O1", "-Wall", "-Werror", join(import.meta.dir, "..", "fixtures", "notify-sink.c"), "-o", SINK], { stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`cc failed: ${built.stderr}`);

  async function startSink(where: string): Promise<{ lines: string[]; stop(): void }> {
    const p = Bun.spawn([SINK, where], { stdout: "pipe", stderr: "pipe" });
    const lines = collectLines(p.stdout);
    await until(() => lines.includes("bound"), "sink bound");
    return { lines, stop: () => p.kill("SIGKILL") };
  }

  test("WATCHDOG_USEC is honoured only for our pid, at half the period", () => {
    expect(watchdogPeriodMs({ WATCHDOG_USEC: "10000000" }, 5)).toBe(5_000);
    expect(watchdogPeriodMs({ WATCHDOG_USEC: "10000000", WATCHDOG_PID: "5" }, 5)).toBe(5_000);
    expect(watchdogPeriodMs({ WATCHDOG_USEC: "10000000", WATCHDOG_PID: "6" }, 5)).toBe(0);
    expect(watchdogPeriodMs({}, 5)).toBe(0);
    expect(notifierFromEnv({})).toBeNull();
    expect(notifierFromEnv({ NOTIFY_SOCKET: "vsock:2:1" })).toBeNull(); // not a transport we speak: ignored, not fatal
  });

  test("abstract-namespace sockets (@name) get the exact bytes", async () => {
    const name = `@hamon-test-${process.pid}`;
    const sink = await startSink(name);
    try {
      const n = notifierFromEnv({ NOTIFY_SOCKET: name })!;
      expect(n.send("STATUS=hello\n")).toBe(true);
      n.close();
      await until(() => sink.lines.includes("STATUS=hello|"), "datagram received");
    } finally {
      sink.stop();
    }
  });

  test("the monitor sends READY=1 after discovery, WATCHDOG=1 from its loop (none while it is stopped), STOPPING=1 on exit", async () => {
    const path = join(DIR, "notify.sock");
    const sink = await startSink(path);
    try {
      const w = await startWatched(`[monitor]\nreregister_window_ms = 3000\nstop_on_exit = true\n[[component]]\nname = "svc"\nstart = ${demoArgv("svc")}\n`, undefined, undefined, {
        NOTIFY_SOCKET: path, WATCHDOG_USEC: "200000",
      });
      await until(() => sink.lines.some((l) => l.startsWith("READY=1|")), "READY=1", 10_000, () => sink.lines.join("\n"));
      const ready = sink.lines.find((l) => l.startsWith("READY=1|"))!;
      expect(ready).toMatch(/^READY=1\|STATUS=monitoring; 1 of 1 components back after \d+ ms\|$/);
      await until(() => sink.lines.filter((l) => l === "WATCHDOG=1|").length >= 3, "keep-alives");
      // A stopped loop sends nothing: that is what makes systemd's watchdog meaningful.
      w.proc.kill("SIGSTOP");
      await Bun.sleep(300);
      const during = sink.lines.length;
      await Bun.sleep(400);
      expect(sink.lines.length).toBe(during);
      w.proc.kill("SIGCONT");
      await until(() => sink.lines.length > during, "keep-alives resume");
      await w.close();
      await until(() => sink.lines.includes("STOPPING=1|"), "STOPPING=1");
    } finally {
      sink.stop();
    }
  }, 30_000);
});

describe("takeover after kill -9", () => {
  test("killed while a component is being restarted: the next monitor finishes that restart, one instance runs, the count is kept", async () => {
    // Its stop command does not stop it, so the restart sits in its stop phase (until SIGKILL at stop_timeout_ms) when the monitor dies.
    const toml = `[monitor]\nstop_timeout_ms = 1500\n[[component]]\nname = "slowstop"\nstart = ${demoArgv("slowstop")}\nstop = ["/bin/sleep", "60"]\n`;
    const state = mkdtempSync(join(DIR, "st-"));
    const w1 = await startWatched(toml, state);
    cleanup.push(() => w1.proc.kill("SIGKILL"));
    const reg = await w1.waitEvent((e) => e.event === "registered" && e.component === "slowstop", "registered");
    const first = Number(/pid (\d+)/.exec(reg.reason)?.[1]);
    killLater(first);
    expect((await w1.cmd("restart", "slowstop")).type).toBe("result");
    await until(() => readJournal(join(state, "journal.json")).components.some((c: { name: string; restarting?: boolean }) => c.name === "slowstop" && c.restarting), "restart journaled");
    w1.proc.kill("SIGKILL");
    await w1.proc.exited;
    await w1.close();
    expect(existsSync(`/proc/${first}`)).toBe(true); // the old instance outlived the monitor

    const w2 = await startWatched(toml, state, w1.sock);
    try {
      const started = await w2.waitEvent((e) => e.event === "started" && e.component === "slowstop" && e.reason.includes("finishing the restart"), "restart finished by the new monitor");
      const second = Number(/pid (\d+)/.exec(started.reason)?.[1]);
      const again = await w2.waitEvent((e) => e.event === "registered" && e.component === "slowstop" && e.reason.startsWith(`pid ${second},`), "new instance registered");
      expect(again).toBeDefined();
      killLater(second);
      expect(second).not.toBe(first);
      await until(() => !existsSync(`/proc/${first}/cmdline`) || readFileSync(`/proc/${first}/stat`, "utf8").includes(") Z"), "old instance gone");
      expect(pidsWith("--name", "slowstop").filter((p) => p !== first)).toEqual([second]);
      const st = await w2.cmd("status", "slowstop");
      expect(st.type === "result" && st.components[0]?.restarts).toBe(1); // counted once, not reset, not twice
    } finally {
      await w2.close();
      for (const p of pidsWith("--name", "slowstop")) process.kill(p, "SIGKILL");
    }
  }, 30_000);
});

describe("rediscovery", () => {
  test("beacons: a new monitor calls components back at once, however long their backoff; stale beacons are removed", async () => {
    const m1 = await startMonitor();
    // A backoff this long would keep it away for 20 s without the beacon.
    const c = new Component({ name: "patient", socket: m1.sock, backoff: { initialMs: 20_000, maxMs: 20_000 } });
    await c.start();
    await until(() => existsSync(beaconPath(m1.sock, "patient")), "beacon listening");
    // A beacon whose component died without cleaning up: a socket file nobody listens on.
    const stale = beaconPath(m1.sock, "ghost");
    const ghost = Bun.spawn([process.execPath, "-e", `Bun.listen({ unix: ${JSON.stringify(stale)}, socket: { data() {} } }); setInterval(() => {}, 1000)`]);
    await until(() => existsSync(stale), "ghost beacon");
    ghost.kill("SIGKILL");
    await ghost.exited;
    m1.proc.kill("SIGKILL");
    await m1.proc.exited;
    await until(() => c.counters.disconnects === 1, "component noticed");
    const m2 = await startMonitor([], undefined, m1.sock);
    try {
      await until(() => c.counters.registrations === 2, "re-registered through the beacon", 5_000);
      expect(existsSync(stale)).toBe(false);
    } finally {
      await c.stop();
      await m2.stop();
    }
    expect(existsSync(beaconPath(m1.sock, "patient"))).toBe(false); // removed by a clean stop
  });

  test("components the journal knew are awaited during the window; one that does not come back is reported missing", async () => {
    const state = mkdtempSync(join(DIR, "st-"));
    const toml = `[monitor]\nreregister_window_ms = 1500\n`;
    const w1 = await startWatched(toml, state);
    const stay = new Component({ name: "stays", socket: w1.sock, plane: "fast", beacon: false });
    const gone = new Component({ name: "goes", socket: w1.sock, beacon: false });
    await stay.start();
    await gone.start();
    await until(() => readJournal(join(state, "journal.json")).components.length === 2, "journaled");
    w1.proc.kill("SIGKILL");
    await w1.proc.exited;
    await w1.close();
    await gone.stop(); // it will not come back
    const w2 = await startWatched(toml, state, w1.sock);
    try {
      const s = await w2.cmd("status", "goes");
      expect(s.type === "result" && s.components[0]?.state).toBe("starting"); // expected, not failed, during the window
      const done = await w2.waitEvent((e) => e.event.startsWith("discovery-"), "end of discovery");
      expect(done.event).toBe("discovery-incomplete");
      expect(done.reason).toMatch(/^1 of 2 components back after \d+ ms; missing: goes$/);
      const f = await w2.waitEvent((e) => e.event === "recover" && e.component === "goes", "decision for the missing one");
      expect(f.reason).toContain("not registered within 1500 ms");
      const st = await w2.cmd("status", "stays");
      expect(st.type === "result" && st.components[0]).toMatchObject({ state: "up", plane: "fast" }); // its plane came back from the journal
    } finally {
      await stay.stop();
      await w2.close();
    }
  }, 20_000);
});

describe("guardians", () => {
  test("two guardians racing on a host with no monitor: one starts it, the other reports it running; one monitor holds the lock", async () => {
    const sock = join(mkdtempSync(join(DIR, "race-")), "hamon.sock");
    const args = ["discovery", "--once", "--socket", sock, "--state-dir", join(DIR, "race-state")];
    const [a, b] = [Bun.spawn([...HAMON, ...args], { stdout: "pipe", stderr: "pipe" }), Bun.spawn([...HAMON, ...args], { stdout: "pipe", stderr: "pipe" })];
    const codes = [await a.exited, await b.exited].sort();
    const holder = readHolder(lockPathFor(sock));
    if (holder) killLater(holder.pid);
    expect(codes).toEqual([0, 3]);
    expect(holder).not.toBeNull();
    // The loser's monitor exits 75 as soon as it tries the lock.
    await until(() => pidsWith("monitor", "--socket", sock).length === 1, "one monitor left");
    expect(pidsWith("monitor", "--socket", sock)).toEqual([holder!.pid]);
    process.kill(holder!.pid, "SIGTERM");
  });

  test("--once: a lock holder that does not answer is hung (4), and replaced with --kill-hung (5)", async () => {
    const m = await startMonitor();
    m.proc.kill("SIGSTOP");
    try {
      const args = ["discovery", "--once", "--socket", m.sock, "--state-dir", join(m.dir, "state"), "--timeout", "300"];
      const hung = Bun.spawnSync([...HAMON, ...args], { stderr: "pipe" });
      expect(hung.exitCode).toBe(4);
      expect(hung.stderr.toString()).toContain(`monitor pid ${m.proc.pid} holds the lock but has not answered`);
      const r = Bun.spawnSync([...HAMON, ...args, "--kill-hung"], { stdout: "pipe", stderr: "pipe" });
      expect(r.exitCode).toBe(5);
      const pid = Number(/started monitor pid (\d+)/.exec(r.stdout.toString())?.[1]);
      killLater(pid);
      await m.proc.exited;
      // The one stop escalation: SIGTERM with SIGCONT (a merely stopped monitor then exits cleanly, 0), SIGKILL after 1 s.
      expect(m.proc.exitCode === 0 || m.proc.signalCode === "SIGTERM" || m.proc.signalCode === "SIGKILL").toBe(true);
      expect(readHolder(lockPathFor(m.sock))?.pid).toBe(pid);
      process.kill(pid, "SIGTERM");
    } finally {
      m.proc.kill("SIGKILL");
    }
  });

  test("50 kill -9 in a row with 200 components connected: the guardian brings a monitor back each time, nothing is lost", async () => {
    const dir = mkdtempSync(join(DIR, "k50-"));
    const sock = join(dir, "hamon.sock");
    const state = join(dir, "state");
    const guardian = Bun.spawn([...HAMON, "discovery", "--socket", sock, "--state-dir", state, "--log-level", "warn"], { stdout: "ignore", stderr: "pipe" });
    cleanup.push(() => guardian.kill("SIGKILL"));
    await until(() => readHolder(lockPathFor(sock)) !== null, "first monitor", 10_000);
    const swarm = Bun.spawn([process.execPath, join(import.meta.dir, "..", "..", "scripts", "swarm.ts"), sock, "200", "k"], { stdout: "pipe", stderr: "inherit" });
    cleanup.push(() => swarm.kill("SIGKILL"));
    await until(async () => (await upCount(sock)) === 200, "200 registered", 20_000);
    // Give one component escalation history, then check the journal keeps it across every crash.
    const failures = (): number => readJournal(join(state, "journal.json")).engine.components.find((c: { name: string }) => c.name === "k7")?.failures.length ?? 0;
    swarm.kill("SIGUSR1"); // the swarm sends one error report from k7
    await until(() => failures() === 1, "k7 failure journaled");
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const h = readHolder(lockPathFor(sock))!;
      seen.add(h.pid);
      process.kill(h.pid, "SIGKILL");
      await until(() => (readHolder(lockPathFor(sock))?.pid ?? h.pid) !== h.pid, `monitor #${i + 2} started`, 10_000);
      let last = 0;
      await until(async () => (last = await upCount(sock)) === 200, `all 200 back after kill #${i + 1}`, 20_000, () => `${last} up`);
    }
    expect(seen.size).toBe(50);
    expect(failures()).toBe(1);
    const events = readFileSync(join(state, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === "discovery-incomplete")).toEqual([]);
    expect(events.filter((e) => e.event === "discovery-complete").length).toBeGreaterThanOrEqual(50);
    guardian.kill("SIGTERM");
    await guardian.exited;
    process.kill(readHolder(lockPathFor(sock))!.pid, "SIGTERM");
    swarm.kill("SIGTERM");
  }, 180_000);
});

describe("docs/hamon.service", () => {
  const unit = readFileSync(join(import.meta.dir, "..", "..", "docs", "hamon.service"), "utf8");
  test("is Type=notify with a watchdog, restarts on failure and lets owned daemons outlive the monitor", () => {
    for (const line of ["Type=notify", "NotifyAccess=main", "WatchdogSec=10s", "Restart=on-failure", "KillMode=process"]) expect(unit.split("\n")).toContain(line);
  });
  test("systemd-analyze verify accepts it without a warning", () => {
    if (!Bun.which("systemd-analyze")) throw new Error("systemd-analyze is missing: .ci/run installs the systemd package");
    const dir = mkdtempSync(join(DIR, "unit-"));
    // verify checks that ExecStart's program exists: point it at the one this test runs.
    writeFileSync(join(dir, "hamon.service"), unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
    const r = Bun.spawnSync(["systemd-analyze", "verify", join(dir, "hamon.service")], { stdout: "pipe", stderr: "pipe", cwd: dir });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });
});
