/**
 * /proc read into buffers made once, not a whole-file read each time (256
 * KiB allocated per call by the runtime): /proc/PID/stat (src/sys/proc.ts)
 * gives the same fields as a whole-file read and a split, for a process
 * whose name holds spaces and parentheses, for a zombie and for a pid that
 * does not exist (and the sampler the same state, CPU time and threads:
 * one parser, src/sys/stat-fields.ts); the children lists (src/sys/reaper.ts) give every child,
 * past the buffer's first size.
 */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processCpuTicks, processStartTime, processStat } from "../../src/sys/proc.ts";
import { childPids } from "../../src/sys/reaper.ts";
import { uintAt } from "../../src/sys/digits.ts";
import { newSample, procSampler } from "../../src/sys/proc-sample.ts";

const dir = mkdtempSync(join(tmpdir(), "hamon-procstat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference: the whole file, split after the last ')'. */
function reference(pid: number) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const r = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return { state: r[0], ppid: Number(r[1]), pgrp: Number(r[2]), session: Number(r[3]), startTime: Number(r[19]), cpu: Number(r[11]) + Number(r[12]), threads: Number(r[17]) };
}

test("a name with spaces and parentheses: the fields after the last ')' are read as a split would read them", async () => {
  const odd = join(dir, "a) b (c) d");
  copyFileSync("/bin/sleep", odd);
  Bun.spawnSync(["chmod", "755", odd]);
  const p = Bun.spawn([odd, "30"], { stdio: ["ignore", "ignore", "ignore"] });
  await Bun.sleep(50);
  expect(readFileSync(`/proc/${p.pid}/stat`, "utf8")).toContain("(a) b (c) d)");
  const ref = reference(p.pid);
  expect(processStat(p.pid)).toEqual({ ppid: ref.ppid, pgrp: ref.pgrp, session: ref.session, startTime: ref.startTime });
  expect(processStartTime(p.pid)).toBe(ref.startTime);
  expect(processStat(p.pid)!.ppid).toBe(process.pid);
  // The sampler (busy/hung looks, resource checks) reads the same stat with the same parser (stat-fields.ts).
  const s = newSample();
  expect(procSampler().sampleCpu(p.pid, s)).toBe(true);
  expect({ state: String.fromCharCode(s.state), cpu: s.cpuTicks, threads: s.threads }).toEqual({ state: ref.state!, cpu: ref.cpu, threads: ref.threads });
  p.kill("SIGKILL");
  await p.exited;
});

test("this process: the same start time and (within a tick or two) the same CPU time as the reference", () => {
  const ref = reference(process.pid);
  expect(processStartTime(process.pid)).toBe(ref.startTime);
  const cpu = processCpuTicks(process.pid);
  expect(cpu).toBeGreaterThanOrEqual(ref.cpu);
  expect(cpu - ref.cpu).toBeLessThan(50);
});

test("a zombie has no stat (null), nor has a pid that does not exist; a CPU count of 0 then", async () => {
  // sh starts a child that exits half a second later, then becomes sleep (exec): sleep never collects
  // it, a zombie. (A child that exits before the exec is collected by sh itself.)
  const file = join(dir, "zombie.pid");
  const sh = Bun.spawn(["/bin/sh", "-c", `/bin/sleep 0.5 & echo $! > '${file}'; exec /bin/sleep 30`], { stdio: ["ignore", "ignore", "ignore"] });
  let zpid = 0;
  let state = "";
  for (let i = 0; i < 300 && state !== "Z"; i++) {
    await Bun.sleep(10);
    try {
      zpid = Number(readFileSync(file, "utf8").trim());
      if (zpid > 0) state = reference(zpid).state ?? "";
    } catch { /* not written yet, or read between the write and its end */ }
  }
  expect(`pid ${zpid}: ${state}`).toBe(`pid ${zpid}: Z`);
  expect(processStat(zpid)).toBeNull();
  expect(processStartTime(zpid)).toBeNull();
  expect(processStat(2 ** 22 + 12345)).toBeNull();
  expect(processStartTime(2 ** 22 + 12345)).toBeNull();
  expect(processCpuTicks(2 ** 22 + 12345)).toBe(0);
  sh.kill("SIGKILL");
  await sh.exited;
});

test("children: every one listed, past the list buffer's first 4 KiB (children spawned until their pids take more)", async () => {
  const kids: ReturnType<typeof Bun.spawn>[] = [];
  const text = () => kids.map((k) => String(k.pid)).join(" ");
  try {
    while (text().length <= 4096 + 512 && kids.length < 3000) {
      for (let i = 0; i < 100; i++) kids.push(Bun.spawn(["/bin/sleep", "30"], { stdio: ["ignore", "ignore", "ignore"] }));
    }
    expect(text().length).toBeGreaterThan(4096);
    const listed = new Set(childPids());
    expect(kids.filter((k) => !listed.has(k.pid)).map((k) => k.pid)).toEqual([]);
  } finally {
    for (const k of kids) k.kill("SIGKILL");
    await Promise.all(kids.map((k) => k.exited));
  }
  const after = new Set(childPids());
  expect(kids.filter((k) => after.has(k.pid))).toEqual([]);
}, 30_000);

test("digits read from bytes (src/sys/digits.ts, every /proc reader's): a number up to its first non-digit or the end given, -1 without one", () => {
  const b = new TextEncoder().encode("total=12345 x 9007199254740991 -3");
  expect(uintAt(b, 6, b.length)).toBe(12345);
  expect(uintAt(b, 6, 9)).toBe(123); // the end given bounds it
  expect(uintAt(b, 5, b.length)).toBe(-1); // '=': no digit there
  expect(uintAt(b, 14, b.length)).toBe(Number.MAX_SAFE_INTEGER);
  expect(uintAt(b, b.length - 2, b.length)).toBe(-1); // a minus sign is not a digit
  expect(uintAt(b, b.length, b.length)).toBe(-1);
});
