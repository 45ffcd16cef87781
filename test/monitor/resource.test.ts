/**
 * Resource checks (`mode = "resource"`) on real processes: a daemon that
 * grows 24 MiB per probe answer is restarted soon after it crosses
 * `rss_max`, with a reason that names memory; `action = "degrade"` degrades
 * instead; the sampler reads what /proc says of a process.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config.ts";
import { newSample, ProcSampler } from "../../src/sys/proc-sample.ts";
import { freePort } from "../helpers/port.ts";
import { startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const LEAKY = join(import.meta.dir, "..", "fixtures", "leaky.ts");
const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close().catch(() => 0);
});

describe("the sampler", () => {
  test("reads this process's memory, CPU time, threads, descriptors and its soft descriptor limit from /proc", () => {
    const s = newSample();
    expect(new ProcSampler().sample(process.pid, s)).toBe(true);
    expect(s.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(s.rssBytes).toBeLessThan(process.memoryUsage().rss * 2);
    expect(s.cpuTicks).toBeGreaterThan(0);
    expect(s.threads).toBeGreaterThan(1);
    expect(s.fds).toBeGreaterThan(2);
    expect(s.fdLimit === Infinity || s.fdLimit >= s.fds).toBe(true);
    expect(new ProcSampler().sample(2 ** 22 + 7, s)).toBe(false); // no such process
  });

  test("config: sizes with units, at least one limit, and its keys only in a resource check", () => {
    const ok = parseConfig(`[[component]]\nname = "a"\nstart = ["/bin/sleep", "9"]\nready = "started"\n[[component.check]]\nname = "mem"\nmode = "resource"\nrss_max = "200MiB"\nfds_max_pct = 80\naction = "degrade"\n`);
    expect(ok.ok && ok.config.components[0]!.checks[0]!.run).toEqual({ resource: { rssMaxBytes: 200 * 2 ** 20, fdsMaxPct: 80, threadsMax: null, cpuMaxPct: null }, action: "degrade" });
    const none = parseConfig(`[[component]]\nname = "a"\nstart = ["/bin/sleep", "9"]\nready = "started"\n[[component.check]]\nname = "mem"\nmode = "resource"\n`);
    expect(!none.ok && none.errors.join()).toContain("needs at least one of rss_max");
    const bad = parseConfig(`[[component]]\nname = "a"\nstart = ["/bin/sleep", "9"]\nready = "started"\n[[component.check]]\nname = "mem"\nmode = "resource"\nrss_max = "lots"\n`);
    expect(!bad.ok && bad.errors.join()).toContain("must be a size");
    const wrong = parseConfig(`[[component]]\nname = "a"\nstart = ["/bin/sleep", "9"]\nready = "started"\n[[component.check]]\nname = "x"\nmode = "exec"\nargv = ["/bin/true"]\nrss_max = "1MiB"\n`);
    expect(!wrong.ok && wrong.errors.join()).toContain("is not a key of a exec check");
  });
});

test("a leak: restarted soon after it crosses rss_max, with a reason that names memory", async () => {
  const port = freePort();
  const w = await startWatched(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "leaky"\nplane = "system"\nstart = ${JSON.stringify([process.execPath, LEAKY, String(port)])}\nready = "probe"\n[[component.check]]\nname = "pong"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${port}"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 300\ntimeout_ms = 250\n[[component.check]]\nname = "mem"\nmode = "resource"\nrss_max = "200MiB"\nperiod_ms = 300\nfall = 2\n`);
  running.push(w);
  const failed = await w.waitEvent((e) => e.component === "leaky" && e.event === "check-failed", "the memory check failed", 0, 30_000);
  expect(failed.reason).toMatch(/check 'mem' failed: rss \d+ MiB > rss_max 200 MiB/);
  // Soon after crossing: two samples over (fall = 2), a few answers of 24 MiB each, not a runaway.
  const rss = Number(/rss (\d+) MiB/.exec(failed.reason)![1]);
  expect(rss).toBeLessThan(200 + 6 * 24 + 60);
  const rec = await w.waitEvent((e) => e.component === "leaky" && e.event === "recover", "a recovery", 0, 10_000);
  expect(rec.level).toBe("restart-daemon");
  expect(rec.reason).toContain("rss_max 200 MiB");
  await w.waitEvent((e) => e.component === "leaky" && e.event === "ready", "ready again", w.events.indexOf(rec), 20_000);
}, 60_000);

test("action = degrade: over the limit degrades the component, never restarts it", async () => {
  const w = await startWatched(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "busy"\nplane = "system"\nstart = ["/bin/sh", "-c", "exec sleep 600"]\nready = "started"\n[[component.check]]\nname = "threads"\nmode = "resource"\nthreads_max = 1\nfds_max_pct = 1\nperiod_ms = 200\naction = "degrade"\n`);
  running.push(w);
  // sleep has one thread (within threads_max 1): the descriptor share decides. Its 3 descriptors against a limit in the thousands: within 1 %, so ok.
  await Bun.sleep(1_000);
  expect(w.events.filter((e) => e.component === "busy" && (e.event === "recover" || e.event === "degraded"))).toEqual([]);
  await w.close();
  running.length = 0;
  const w2 = await startWatched(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "busy"\nplane = "system"\nstart = ${JSON.stringify([process.execPath, "-e", "setInterval(() => {}, 1000)"])}\nready = "started"\n[[component.check]]\nname = "threads"\nmode = "resource"\nthreads_max = 1\nperiod_ms = 200\naction = "degrade"\n`);
  running.push(w2);
  // Degraded from its first sample, maybe before the subscriber attached: its standing says so.
  await until(async () => (await stateOf(w2, "busy")) === "up/degraded", "degraded", 10_000);
  const shown = await w2.cmd("show", "busy");
  expect(shown.type === "result" && shown.components[0]!.reason).toMatch(/\d+ threads > threads_max 1/);
  await Bun.sleep(600);
  expect(w2.events.filter((e) => e.component === "busy" && e.event === "recover")).toEqual([]);
}, 40_000);
