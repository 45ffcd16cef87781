/**
 * Attack: what sits at a [[fastpath]] heartbeat path. A FIFO (directly, or
 * through an allowed /proc/PID/fd/N link, at start or swapped in mid-run)
 * must not freeze the monitor; a plain file truncated to 0 or an unsealed
 * memfd that shrinks must not kill it with SIGBUS. Each is refused or
 * reported with a reason while every other component stays monitored.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, renameSync, symlinkSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSim, tmpPath } from "../helpers/hbsim.ts";
import { readPidfile } from "../../src/process/pidfile.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { startWatched, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const f of cleanup.splice(0).reverse()) await f();
});

const fp = (path: string) => `[[fastpath]]\nname = "fp0"\nheartbeat = "${path}"\nsuspect_ms = 40\ndead_ms = 120\n`;

/** The monitor still answers, and SIGTERM still ends it. */
async function responsive(w: Watched): Promise<void> {
  for (let i = 0; i < 3; i++) expect((await w.cmd("status")).type).toBe("result");
}

/** The attach event comes before a subscriber can connect: read the monitor's log. */
const logged = (w: Watched, text: string) => until(() => w.stderr().includes(text), text, 10_000, () => w.stderr());

/** Refused at start (before a subscriber could see the event): the status names why. */
async function refused(w: Watched): Promise<void> {
  await until(async () => {
    const r = await w.cmd("show", "fp0");
    return r.type === "result" && r.components[0]!.reason.includes("is a FIFO, not a regular file");
  }, "fp0's reason names the FIFO", 10_000, () => w.stderr());
  expect(w.stderr()).toContain("is a FIFO");
}

function fifo(): string {
  const p = join(mkdtempSync(join(tmpdir(), "hamon-fifo-")), "hb");
  execFileSync("mkfifo", [p]);
  return p;
}

async function stops(w: Watched): Promise<void> {
  running.splice(running.indexOf(w), 1);
  w.proc.kill("SIGTERM");
  const code = await Promise.race([w.proc.exited, Bun.sleep(10_000).then(() => "hung")]);
  if (code === "hung") w.proc.kill("SIGKILL");
  expect(code).toBe(0);
}

describe("special files at the heartbeat path", () => {
  test("a FIFO at start: refused with a reason naming it, the monitor answers and stops on SIGTERM", async () => {
    const w = await startWatched(fp(fifo()));
    running.push(w);
    await refused(w);
    await responsive(w);
    await stops(w);
  }, 30_000);

  test("a FIFO behind an allowed /proc/PID/fd/N link: refused the same way", async () => {
    const f = fifo();
    const fd = openSync(f, "r+"); // O_RDWR on a FIFO does not block; the link names this descriptor
    cleanup.push(() => closeSync(fd));
    const link = join(mkdtempSync(join(tmpdir(), "hamon-fifo-")), "hb");
    symlinkSync(`/proc/${process.pid}/fd/${fd}`, link);
    const w = await startWatched(fp(link));
    running.push(w);
    await refused(w);
    await responsive(w);
    await stops(w);
  }, 30_000);

  test("a FIFO swapped in mid-run (a new inode): the old region is let go, the FIFO refused, the monitor answers", async () => {
    const path = tmpPath();
    const sim = await startSim(path, 2, { plain: true, paceUs: 500 });
    cleanup.push(() => sim.kill());
    const w = await startWatched(fp(path));
    running.push(w);
    await logged(w, "unsealed file");
    const mark = w.events.length;
    const f = fifo();
    renameSync(f, path);
    await w.waitEvent((e) => e.component === "fp0" && e.reason.includes("FIFO"), "the FIFO refused", mark);
    await responsive(w);
    await stops(w);
  }, 30_000);

  test("hamon heartbeat FIFO answers at once: exit 3 with the reason", () => {
    const r = Bun.spawnSync([process.execPath, MAIN, "heartbeat", fifo(), "--watch", "100"], { timeout: 10_000 });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.toString()).toContain("FIFO");
  });
});

describe("a region that shrinks", () => {
  test("truncate -s 0 of a plain file under hbsim --plain: no SIGBUS, the cores are reported, the monitor answers", async () => {
    const path = tmpPath();
    const sim = await startSim(path, 2, { plain: true });
    cleanup.push(() => sim.kill());
    const w = await startWatched(fp(path));
    running.push(w);
    await logged(w, "unsealed file");
    const mark = w.events.length;
    for (let i = 0; i < 10; i++) {
      truncateSync(path, 0);
      await Bun.sleep(20);
    }
    await w.waitEvent((e) => e.component === "fp0" && e.reason.includes("truncated"), "truncation reported", mark);
    expect(w.proc.exitCode).toBeNull();
    expect(w.proc.signalCode).toBeNull();
    await responsive(w);
    await stops(w);
  }, 30_000);

  test("an unsealed memfd that shrinks: read by copy, never mapped; no SIGBUS", async () => {
    const src = tmpPath();
    const sim = await startSim(src, 2, { plain: true });
    cleanup.push(() => sim.kill());
    const bin = join(mkdtempSync(join(tmpdir(), "hamon-memfd-")), "memfd-shrink");
    execFileSync("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", join(import.meta.dir, "..", "fixtures", "memfd-shrink.c"), "-o", bin]);
    const link = join(mkdtempSync(join(tmpdir(), "hamon-memfd-")), "hb");
    const child = Bun.spawn([bin, src, link], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    cleanup.push(() => { child.kill("SIGKILL"); });
    const out = child.stdout.getReader();
    const ready = new TextDecoder().decode((await out.read()).value);
    expect(ready).toContain("ready");
    const w = await startWatched(fp(link));
    running.push(w);
    await logged(w, "unsealed file"); // a memfd without F_SEAL_SHRINK is not mapped
    const mark = w.events.length;
    child.stdin.write("shrink\n");
    await child.stdin.flush();
    await w.waitEvent((e) => e.component === "fp0" && e.reason.includes("truncated"), "shrink reported", mark);
    expect(w.proc.signalCode).toBeNull();
    await responsive(w);
    await stops(w);
  }, 30_000);
});

describe("special files at a pid file path", () => {
  test("a FIFO as a pid file is refused at once, never read (a blocking read would stop the loop)", () => {
    const r = readPidfile(fifo());
    expect(r).toMatchObject({ why: expect.stringContaining("is not a regular file") });
  });
});
