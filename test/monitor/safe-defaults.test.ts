/**
 * Safe by default (issue "a failure costs only what it must"), on real
 * processes under a real monitor with the default policy:
 * - a system-plane daemon that cannot start never costs the control plane a
 *   restart, and is retried for ever with growing gaps;
 * - a daemon that dies 1 s into each life is restarted on and on, with a
 *   growing delay, never given up on;
 * - an exec check that exits 1 (what `grep -q`, `curl -f` and `chronyc` say
 *   on failure) is failed, and its daemon restarted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort } from "../helpers/port.ts";
import { startWatched, type Ev, type Watched } from "../helpers/watched.ts";

describe("one minute beside a daemon that cannot start and one that dies 1 s into each life", () => {
  let w: Watched;
  const seen = { zebraPids: [] as number[], zebraEvents: [] as string[], webui: [] as Ev[], flaky: [] as Ev[], flakyState: "" };
  beforeAll(async () => {
    const port = freePort(); // nothing listens there: the web UI never serves
    w = await startWatched([
      `[[component]]\nname = "zebra"\nstart = ["/bin/sleep", "600"]\nready = "started"\n`,
      // A config typo: it exits at once, before its probe ever passes (a start failure).
      `[[component]]\nname = "webui"\nplane = "system"\nstart = ["/bin/sh", "-c", "echo 'nginx: [emerg] unexpected \\"}\\"' >&2; exit 1"]\nready = "probe"\n`,
      `[[component.check]]\nname = "http"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${port}"\nperiod_ms = 500\ntimeout_ms = 300\n`,
      `[[component]]\nname = "flaky"\nplane = "system"\nstart = ["/bin/sh", "-c", "sleep 1; exit 1"]\nready = "started"\n`,
    ].join(""));
    const status = async () => {
      const r = await w.cmd("status");
      return r.type === "result" ? r.components : [];
    };
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      const z = (await status()).find((c) => c.name === "zebra");
      if (z && !seen.zebraPids.includes(z.pid)) seen.zebraPids.push(z.pid);
      await Bun.sleep(2_000);
    }
    const flaky = (await status()).find((c) => c.name === "flaky");
    seen.flakyState = `${flaky?.state} ${flaky?.reason}`;
    seen.zebraEvents = w.events.filter((e) => e.component === "zebra").map((e) => e.event);
    seen.webui = w.events.filter((e) => e.component === "webui");
    seen.flaky = w.events.filter((e) => e.component === "flaky");
  }, 90_000);
  afterAll(async () => {
    await w?.close();
  });

  test("the control-plane daemon is never restarted: one pid all minute, no recovery, no stop, no start after the first", () => {
    expect(seen.zebraPids.length).toBe(1);
    // The stream holds everything from the monitor's start: its one initial start, then nothing.
    expect(seen.zebraEvents.filter((e) => e === "started" || e === "stopped" || e === "recover" || e === "exited")).toEqual(["started"]);
    // Nothing above restarting itself ran for the system-plane ones.
    const levels = new Set([...seen.webui, ...seen.flaky].filter((e) => e.event === "recover").map((e) => e.level));
    expect([...levels]).toEqual(["restart-daemon"]);
  });

  test("the daemon that cannot start is a start failure, retried all minute with growing gaps", () => {
    const starts = seen.webui.filter((e) => e.event === "started").map((e) => e.time);
    expect(starts.length).toBeGreaterThanOrEqual(6);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThan(40_000); // still retried late in the minute
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // The backoff doubles from 100 ms to its cap: each gap at least about the one before (a few ms of jitter), the last far above the first.
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 0.8);
    expect(gaps.at(-1)!).toBeGreaterThan(4 * gaps[0]!);
    expect(seen.webui.some((e) => e.event === "recover" && e.reason.includes("a start failure"))).toBe(true);
  });

  test("a daemon dying 1 s into each life: still restarted after 50 s, no more than about 25 times, never quarantined", () => {
    const starts = seen.flaky.filter((e) => e.event === "started").map((e) => e.time);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThan(50_000);
    expect(starts.length).toBeLessThanOrEqual(26);
    expect(seen.flaky.some((e) => e.event === "quarantined")).toBe(false);
    expect(seen.flaky.some((e) => e.event === "flapping")).toBe(true);
    expect(seen.flakyState).not.toContain("quarantined");
  });
});

test("an exec check that exits 1 is failed (the shell's reading), and its daemon is restarted", async () => {
  const w = await startWatched(`[defaults]\ngrace_ms = 0\n[[component]]\nname = "chronyd"\nplane = "system"\nstart = ["/bin/sleep", "600"]\nready = "started"\n[[component.check]]\nname = "sync"\nmode = "exec"\nargv = ["/bin/sh", "-c", "echo 'not synchronised'; exit 1"]\nperiod_ms = 500\ntimeout_ms = 400\n`);
  try {
    const failed = await w.waitEvent((e) => e.component === "chronyd" && e.event === "check-failed", "the check failed");
    expect(failed.reason).toContain("not synchronised (exit 1)");
    const rec = await w.waitEvent((e) => e.component === "chronyd" && e.event === "recover", "a recovery");
    expect(rec.level).toBe("restart-daemon");
    await w.waitEvent((e) => e.component === "chronyd" && e.event === "started", "started again", w.events.indexOf(rec));
  } finally {
    await w.close();
  }
}, 30_000);
