/**
 * Attack: a daemon owns what it writes to its stdout. It must not be able
 * to make the root monitor fill the disk: its logs take at most
 * (log_keep + 1) × log_max_bytes of real disk whatever it does to its
 * descriptor (ftruncate, fallocate) or however fast it writes, and a flood
 * loses no line (the pipe paces the writer).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidOf, startWatched, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const pids: number[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const p of pids.splice(0)) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
});

/** Real disk (allocated blocks) and apparent size of everything in the logs directory. */
function usage(dir: string): { disk: number; apparent: number } {
  let disk = 0;
  let apparent = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return { disk, apparent };
  }
  for (const n of names) {
    try {
      const st = statSync(join(dir, n));
      disk += st.blocks * 512;
      apparent += st.size;
    } catch { /* rotated away meanwhile */ }
  }
  return { disk, apparent };
}

const daemon = (name: string, script: string, max: number, keep: number, user = "") =>
  `[monitor]\nstop_timeout_ms = 500\nstop_on_exit = true\n[[component]]\nname = "${name}"\nstart = ["/bin/sh", "-c", ${JSON.stringify(script)}]\nready = "started"\noutput = "log"\nlog_max_bytes = ${max}\nlog_keep = ${keep}\n${user}`;

describe("a daemon's logs stay within (log_keep + 1) × log_max_bytes", () => {
  test("ftruncate of its stdout to 256 MiB (as nobody): no effect on the disk; its lines still logged", async () => {
    // On its own descriptor (reopening /proc/self/fd/1 by path would be refused: the file is root's 0640).
    const js = "const fs = require('fs'); fs.ftruncateSync(1, 256 * 2 ** 20); fs.writeSync(1, 'still-here\\n'); setInterval(() => {}, 1e6);";
    const w = await startWatched(daemon("sly", "", 65_536, 2, `user = "nobody"\n`).replace('start = ["/bin/sh", "-c", ""]', `start = ${JSON.stringify([process.execPath, "-e", js])}`));
    running.push(w);
    pids.push(await pidOf(w, "sly"));
    const logs = join(w.stateDir, "logs");
    await until(() => { try { return readFileSync(join(logs, "sly.log"), "utf8").includes("still-here"); } catch { return false; } }, "its line logged", 10_000, () => w.stderr());
    await Bun.sleep(2_500); // past a rotation check (what copied the apparent size, as root, before)
    const u = usage(logs);
    expect(u.disk).toBeLessThanOrEqual(3 * 65_536 + (1 << 20));
    expect(u.apparent).toBeLessThanOrEqual(3 * 65_536);
  }, 30_000);

  test("a flood at full speed: the disk bound holds at every sample (+1 MiB), and the monitor keeps answering", async () => {
    const max = 1 << 20;
    const w = await startWatched(daemon("flood", "timeout 3 yes 'a line of flood text, about fifty bytes long....'; exec sleep 600", max, 2));
    running.push(w);
    pids.push(await pidOf(w, "flood"));
    const logs = join(w.stateDir, "logs");
    let peak = 0;
    let samples = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 3_500) {
      peak = Math.max(peak, usage(logs).disk);
      samples++;
      await Bun.sleep(10);
    }
    expect(samples).toBeGreaterThan(50);
    expect(peak).toBeGreaterThan(max); // it did flood
    expect(peak).toBeLessThanOrEqual(3 * max + (1 << 20));
    expect((await w.cmd("show", "flood")).type).toBe("result");
  }, 30_000);

  test("no line lost: 300,000 numbered lines written at full speed are all in the log files, in order", async () => {
    const w = await startWatched(daemon("counter", "seq 1 300000; exec sleep 600", 1 << 20, 3));
    running.push(w);
    pids.push(await pidOf(w, "counter"));
    const base = join(w.stateDir, "logs", "counter.log");
    const all = () => [`${base}.3`, `${base}.2`, `${base}.1`, base].map((f) => { try { return readFileSync(f, "utf8"); } catch { return ""; } }).join("");
    await until(() => all().endsWith("\n300000\n"), "the last line logged", 15_000);
    const nums = all().trim().split("\n").map(Number);
    expect(nums.length).toBe(300_000);
    expect(nums.every((n, i) => n === i + 1)).toBe(true);
  }, 30_000);

  test("a C program writing through stdio as fast as it can sees no write error (the pipe is blocking on its side: it waits, never EAGAIN)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-stdio-"));
    writeFileSync(join(dir, "w.c"), `#include <stdio.h>\nint main(void){ for (long i = 1; i <= 2000000; i++) if (printf("%ld\\n", i) < 0) { fprintf(stderr, "write error at %ld\\n", i); return 1; } fflush(stdout); fprintf(stderr, "done\\n"); return 0; }\n`);
    const cc = Bun.spawnSync(["cc", "-O2", join(dir, "w.c"), "-o", join(dir, "w")], { stderr: "pipe" });
    expect(cc.exitCode).toBe(0);
    chmodSync(dir, 0o755);
    const w = await startWatched(`[monitor]\nstop_timeout_ms = 500\n[[component]]\nname = "stdio"\nstart = ["/bin/sh", "-c", "${join(dir, "w")}; exec sleep 600"]\nready = "started"\noutput = "log"\nlog_max_bytes = 1048576\nlog_keep = 1\n`);
    running.push(w);
    pids.push(await pidOf(w, "stdio"));
    const base = join(w.stateDir, "logs", "stdio.log");
    const all = () => [`${base}.1`, base].map((f) => { try { return readFileSync(f, "utf8"); } catch { return ""; } }).join("");
    await until(() => all().includes("done\n"), "the writer finished", 20_000);
    expect(all()).not.toContain("write error");
  }, 30_000);
});
