/**
 * Attack: a pid file is a claim written by the daemon's user. A root monitor
 * that believed it would signal whatever it names. The pid must provably be
 * the component's own process: it descends from the launcher hamon spawned
 * (the monitor is child subreaper), runs as the component's user, is never
 * pid 1 and never the monitor; a group is signalled only if hamon created it.
 * The file is read bounded, without following a link, without blocking.
 * Attach mode (a pid file, no start) never signals, and follows the file.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPidfile } from "../../src/process/pidfile.ts";
import { realProcesses } from "../../src/process/control.ts";
import { pidOf, startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const pids: number[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const p of pids.splice(0)) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
});

const alive = (pid: number) => { try { process.kill(pid, 0); return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0] !== "Z"; } catch { return false; } };

/** A directory the daemon's user (nobody) may write, as a forking daemon's pid-file directory is. */
function openDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hamon-pidatk-"));
  chmodSync(dir, 0o777);
  return dir;
}

/** A root process started after `after` exists (so "started after the launcher" holds for it). */
async function rootVictim(after: string): Promise<number> {
  await until(() => { try { readFileSync(after); return true; } catch { return false; } }, "the launcher started", 10_000);
  const v = Bun.spawn(["sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  pids.push(v.pid);
  return v.pid;
}

/**
 * A component whose launcher (as `user`) says it started, waits for the test
 * to name a victim in `claim`, writes that pid into its pid file and exits 0.
 */
function forger(dir: string, user: string | null): string {
  const script = join(dir, "launch.sh");
  writeFileSync(script, `#!/bin/sh\ntouch ${dir}/started\nwhile [ ! -s ${dir}/claim ]; do sleep 0.02; done\ncat ${dir}/claim > ${dir}/d.pid\nexit 0\n`);
  chmodSync(script, 0o755);
  return `[monitor]\nstop_timeout_ms = 500\n[defaults]\ngrace_ms = 0\n[[component]]\nname = "forky"\nstart = ["${script}"]\npidfile = "${dir}/d.pid"\nready = "pidfile"\nready_timeout_ms = 60000\n${user ? `user = "${user}"\n` : ""}`;
}

describe("a pid file that names a process not the component's own", () => {
  test.each([
    ["a root process started after the launcher (daemon user nobody)", "nobody", "victim", "does not run as the component's user"],
    ["a root process started after the launcher (a root daemon)", null, "victim", "does not descend from its launcher"],
    ["the monitor itself", null, "monitor", "names the monitor itself"],
    ["pid 1", "nobody", "one", "names pid 1"],
  ] as const)("%s: refused, never adopted, never signalled; restart leaves it alone", async (_what, user, who, why) => {
    const dir = openDir();
    const w = await startWatched(forger(dir, user));
    running.push(w);
    const target = who === "victim" ? await rootVictim(join(dir, "started")) : who === "monitor" ? w.proc.pid : 1;
    writeFileSync(join(dir, "claim"), `${target}\n`);
    await until(() => w.stderr().includes(why), `the claim refused (${why})`, 10_000, () => w.stderr());
    expect(await pidOf(w, "forky")).not.toBe(target);
    expect(await stateOf(w, "forky")).toStartWith("starting");
    expect((await w.cmd("restart", "forky")).type).toBe("result");
    await Bun.sleep(0); // the restart's signals, if any, are sent synchronously from the command
    await until(() => w.stderr().includes("pid file refused") && (w.stderr().match(/pid file refused/g) ?? []).length >= 2, "the relaunched forger refused again", 10_000, () => w.stderr());
    if (who === "victim") expect(alive(target)).toBe(true);
    expect(w.proc.exitCode).toBeNull(); // the monitor did not signal itself
    expect(await stateOf(w, "forky")).toStartWith("starting");
  }, 40_000);

  test("the real daemon (the launcher's orphan, reparented to the monitor) is still accepted, as nobody", async () => {
    const dir = openDir();
    const toml = `[monitor]\nstop_timeout_ms = 500\nstop_on_exit = true\n[defaults]\ngrace_ms = 0\n[[component]]\nname = "forky"\nstart = ["/bin/sh", "-c", "sleep 600 & echo $! > ${dir}/d.pid"]\npidfile = "${dir}/d.pid"\nready = "pidfile"\nuser = "nobody"\n`;
    const w = await startWatched(toml);
    running.push(w);
    await until(async () => (await stateOf(w, "forky")) === "up/ok", "ready by its pid file", 10_000, () => w.stderr());
    const pid = await pidOf(w, "forky");
    pids.push(pid);
    // Child subreaper: the orphan is the monitor's child, not init's.
    expect(Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1])).toBe(w.proc.pid);
    const mark = w.events.length;
    process.kill(pid, "SIGKILL");
    await w.waitEvent((e) => e.component === "forky" && e.event === "exited", "its death seen", mark);
    await w.waitEvent((e) => e.component === "forky" && e.event === "ready", "ready again", mark, 10_000);
    pids.push(await pidOf(w, "forky"));
    // The monitor collected the dead orphan: no zombie of it is left.
    await until(() => { try { readFileSync(`/proc/${pid}/stat`); return false; } catch { return true; } }, "the dead daemon reaped (no zombie)");
  }, 30_000);
});

describe("the pid-file reader: one bounded, non-blocking read on the descriptor it opened", () => {
  const dir = mkdtempSync(join(tmpdir(), "hamon-pidread-"));
  test.each([
    ["a FIFO", (p: string) => mkfifo(p), "is not a regular file"],
    ["a symlink to /dev/zero", (p: string) => symlinkSync("/dev/zero", p), "is a symbolic link"],
    ["a 3 GiB sparse file", (p: string) => { writeFileSync(p, ""); truncateSync(p, 3 * 1024 ** 3); }, "is longer than 64 bytes"],
    ["a directory", (p: string) => mkdirSync(p), "is not a regular file"],
  ])("%s: refused at once", (_what, plant, why) => {
    const p = join(dir, `${Math.random()}`);
    plant(p);
    const t0 = performance.now();
    const r = readPidfile(p, realProcesses);
    expect(r).toMatchObject({ why: expect.stringContaining(why) });
    // Not a latency assertion: a read of the whole 3 GiB file would also allocate it (the count that matters).
    expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3);
    void t0;
  });
});

function mkfifo(p: string): void {
  Bun.spawnSync(["mkfifo", p]);
}


describe("attach mode (a pid file, no start): watched, never signalled, followed", () => {
  test("the attached process dies: its group is left alone; its own supervisor's next instance is followed through the file", async () => {
    const dir = openDir();
    // A group leader with a second member: the attached pid leads the group; the member must survive its death.
    const leader = Bun.spawn(["setsid", "sh", "-c", `sleep 600 & echo $! > ${dir}/member; exec sleep 600`], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    pids.push(leader.pid);
    await until(() => { try { return readFileSync(join(dir, "member"), "utf8").trim() !== ""; } catch { return false; } }, "the group formed");
    const member = Number(readFileSync(join(dir, "member"), "utf8"));
    pids.push(member);
    // setsid(1) forks when it is a group leader already; find the exec'd sleep that leads the group.
    const lead = Number(readFileSync(`/proc/${member}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
    pids.push(lead);
    writeFileSync(join(dir, "d.pid"), `${lead}\n`);
    const toml = `[defaults]\ngrace_ms = 0\n[[component]]\nname = "ext"\npidfile = "${dir}/d.pid"\n`;
    const w = await startWatched(toml);
    running.push(w);
    await until(async () => (await stateOf(w, "ext")) === "up/ok", "attached", 10_000, () => w.stderr());
    expect(await pidOf(w, "ext")).toBe(lead);
    const mark = w.events.length;
    process.kill(lead, "SIGKILL");
    await w.waitEvent((e) => e.component === "ext" && e.event === "exited", "its death seen", mark);
    await Bun.sleep(300); // what a group kill would have needed to land
    expect(alive(member)).toBe(true); // hamon did not create that group: it never signals it
    // Its own supervisor starts the next instance and rewrites the file: hamon follows.
    const next = Bun.spawn(["sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    pids.push(next.pid);
    writeFileSync(join(dir, "d.pid"), `${next.pid}\n`);
    await w.waitEvent((e) => e.component === "ext" && e.event === "attached", "the next instance followed", mark, 10_000);
    expect(await pidOf(w, "ext")).toBe(next.pid);
    expect(await stateOf(w, "ext")).toBe("up/ok");
  }, 30_000);
});
