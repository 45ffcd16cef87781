/**
 * Attack: what a check runs or connects to is the daemon's (or its user's)
 * to control. An exec check that prints without end, one that leaves a
 * helper holding its stdout, a service that never answers a probe or
 * answers with megabytes: each costs the monitor a bounded amount, ends at
 * its deadline, and leaves the other checks running.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckRunner, MAX_CONCURRENT_EXEC } from "../../src/probes/runner.ts";
import { runAudit } from "../../src/probes/exec.ts";
import { runProbe } from "../../src/probes/connect.ts";
import { parseProbe } from "../../src/config/probe-spec.ts";
import { CAPTURE_MAX_BYTES, runWithDeadline } from "../../src/process/run.ts";

const TAG = String(process.pid); // "sleep 30.PID": a valid duration that marks the helpers this file leaves behind
afterAll(() => {
  Bun.spawnSync(["pkill", "-f", `sleep 30.${TAG}`]);
});

const fds = () => readdirSync("/proc/self/fd").length;

describe("exec checks", () => {
  test("endless output (yes): at most CAPTURE_MAX_BYTES kept, its group killed at the cap, failed with a reason", async () => {
    const r = await runWithDeadline(["yes"], { timeoutMs: 10_000, capture: true });
    expect(r.overflowed).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.stdout.length).toBeLessThanOrEqual(CAPTURE_MAX_BYTES);
    expect(r.exit?.signal).toBe("SIGKILL");
    const a = await runAudit(["yes", "a-long-line"], 10_000, "exec check");
    expect(a).toMatchObject({ health: "failed", detail: expect.stringContaining(`printed more than ${CAPTURE_MAX_BYTES} bytes: killed`) });
  });

  test("100 MB of output costs the monitor no more than a few MiB (it is not kept)", async () => {
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 5; i++) await runAudit(["sh", "-c", "head -c 100000000 /dev/zero"], 10_000);
    Bun.gc(true);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024); // the old reader kept +384 MB for one run
  }, 60_000);

  test(`helpers left holding stdout in another session do not take the ${MAX_CONCURRENT_EXEC} shared slots: each is freed at its deadline`, async () => {
    const runner = new CheckRunner();
    const held = Array.from({ length: MAX_CONCURRENT_EXEC * 2 }, () => ({ exec: ["sh", "-c", `setsid sleep 30.${TAG} & echo held; sleep 30.${TAG}`], codes: "shell" as const }));
    const results = await Promise.race([Bun.sleep(10_000).then(() => [] as string[]), Promise.all(held.map((run) => new Promise<string>((res) => runner.start(run, 300, (h, d) => res(`${h} ${d}`)))))]);
    expect(results.length).toBe(MAX_CONCURRENT_EXEC * 2); // every one ended (the old runner never returned from the 9th)
    const ok = await new Promise<string>((res) => runner.start({ exec: ["true"], codes: "shell" as const }, 2_000, (h) => res(h)));
    expect(ok).toBe("ok");
  }, 30_000);

  test("one check has one run in flight: a second start of the same check while it runs shares that run's result (no second process)", async () => {
    const runner = new CheckRunner();
    const count = join(mkdtempSync(join(tmpdir(), "hamon-runs-")), "runs");
    const run = { exec: ["/bin/sh", "-c", `echo run >> ${count}; sleep 0.3`], codes: "shell" as const };
    const both = await Promise.all([1, 2].map(() => new Promise<string>((res) => runner.start(run, 2_000, (h) => res(h)))));
    expect(both).toEqual(["ok", "ok"]);
    expect(readFileSync(count, "utf8")).toBe("run\n");
  });
});

describe("probes", () => {
  test("1,000 probes that time out against a service that never answers leak no descriptor", async () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const p = parseProbe(`tcp://127.0.0.1:${server.port}`);
    const before = fds();
    for (let batch = 0; batch < 10; batch++) {
      const r = await Promise.all(Array.from({ length: 100 }, () => runProbe(p, 20, { send: "PING\n", expect: "PONG" })));
      expect(r.every((x) => x !== null && x.includes("no 'PONG' within 20 ms"))).toBe(true);
    }
    await Bun.sleep(50);
    expect(fds() - before).toBeLessThan(10);
    server.stop(true);
  }, 30_000);

  test("a service that answers with megabytes: the probe reads a bounded prefix and ends", async () => {
    const big = Buffer.alloc(1 << 20, 0x61);
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data(s) { for (let i = 0; i < 8; i++) s.write(big); } } });
    const p = parseProbe(`tcp://127.0.0.1:${server.port}`);
    const r = await runProbe(p, 5_000, { send: "PING\n", expect: "PONG" });
    expect(r).toContain("no 'PONG' in the first 4096 bytes");
    server.stop(true);
  });
});
