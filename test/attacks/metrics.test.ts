/**
 * Attack: `[prometheus] listen` is reachable by every local user. A flood of
 * /metrics requests from one unprivileged user (nobody) must cost the
 * monitor's loop nothing: the endpoint runs on its own thread below the
 * loop's priority, renders at most every 250 ms, and answers a peer past
 * its token bucket with 429. The monitored components stay on time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_CONNECTIONS_PER_PEER, PER_PEER_BURST, PER_PEER_PER_S } from "../../src/adapters/metrics-worker.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { startWatched, until, type Watched } from "../helpers/watched.ts";
import { freePort } from "../helpers/port.ts";

const FLOOD = join(import.meta.dir, "..", "fixtures", "metrics-flood.ts");
const PONG = join(import.meta.dir, "..", "fixtures", "pong.ts");
let w: Watched;
const textfile = join(mkdtempSync(join(tmpdir(), "hamon-flood-")), "hamon.prom");
let port = 0;
let pongPort = 0;


/** The monitor's loop lateness histogram, from its textfile (the test shares the flooder's address: its own requests would be 429). */
async function lateness(): Promise<{ count: number; over50: number }> {
  await Bun.sleep(250); // a textfile written after the interval in question
  const text = readFileSync(textfile, "utf8");
  const count = Number(/hamon_monitor_loop_lateness_seconds_count (\d+)/.exec(text)?.[1] ?? 0);
  const le50 = Number(/hamon_monitor_loop_lateness_seconds_bucket\{le="0.05"\} (\d+)/.exec(text)?.[1] ?? 0);
  return { count, over50: count - le50 };
}

beforeAll(async () => {
  port = freePort();
  pongPort = freePort();
  const daemons = Array.from({ length: 49 }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ["/bin/sleep", "600"]\nready = "started"\n`).join("");
  const probed = `[[component]]\nname = "pongd"\nstart = ${JSON.stringify([process.execPath, PONG, String(pongPort)])}\nready = "probe"\n[[component.check]]\nname = "pong"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${pongPort}"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 100\ntimeout_ms = 100\nfall = 2\n`;
  w = await startWatched(`[monitor]\nstop_on_exit = true\nstop_timeout_ms = 500\n[prometheus]\nlisten = "127.0.0.1:${port}"\ntextfile = "${textfile}"\ninterval_ms = 100\n${daemons}${probed}`);
  await until(async () => { const r = await w.cmd("status"); return r.type === "result" && r.components.filter((c) => c.state === "up").length === 50; }, "50 components up", 20_000, () => w.stderr());
});

afterAll(async () => {
  await w?.close();
});

describe("a /metrics flood by nobody", () => {
  describe("5 s, 64 requests in flight", () => {
    // The flood runs once; what it did to the monitor is asserted apart, so a miss under load reads as what it is.
    const seen = { answered: 0, out: null as { byStatus: Record<string, number>; errors: number; uid: number } | null, mark: 0, end: 0, before: { count: 0, over50: 0 }, after: { count: 0, over50: 0 } };
    beforeAll(async () => {
      seen.before = await lateness();
      seen.mark = w.events.length;
      const flood = Bun.spawn(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, FLOOD, `http://127.0.0.1:${port}/metrics`, "5", "64"], { stdout: "pipe", stderr: "inherit", env: { PATH: process.env.PATH ?? "", HOME: "/tmp" } });
      // The monitor's own clients are answered during the flood.
      for (let i = 0; i < 10; i++) {
        await Bun.sleep(300);
        const r = Bun.spawnSync([process.execPath, MAIN, "list", "--socket", w.sock], { stdout: "pipe", stderr: "pipe" });
        if (r.exitCode === 0) seen.answered++;
      }
      seen.out = JSON.parse((await new Response(flood.stdout).text()).trim().split("\n").pop()!);
      seen.end = w.events.length;
      seen.after = await lateness();
    }, 60_000);

    test("rate-limited: one peer gets at most its burst plus the refill, the rest is 429", () => {
      expect(seen.out!.uid).not.toBe(0);
      // One peer address: its bucket lets at most the burst plus the refill through; the rest are 429.
      expect(seen.out!.byStatus["200"] ?? 0).toBeLessThanOrEqual(PER_PEER_BURST + PER_PEER_PER_S * 6);
      expect(seen.out!.byStatus["429"] ?? 0).toBeGreaterThan(100);
    });

    test("the monitor answers its own clients during it", () => {
      expect(seen.answered).toBe(10);
    });

    test("under load, no false failure: the probed daemon's 100 ms check never fails", () => {
      expect(w.events.slice(seen.mark, seen.end).filter((e) => e.component === "pongd" && e.event === "check-failed")).toEqual([]);
    });

    test("under load, the loop stays on time: at most 5 % of its turns over 50 ms late (a ratio, not a time)", () => {
      const turns = seen.after.count - seen.before.count;
      expect(turns).toBeGreaterThan(20);
      expect((seen.after.over50 - seen.before.over50) / turns).toBeLessThanOrEqual(0.05);
    });
  });

  test("connections are capped per peer (idle ones closed after 2 s): 200 idle connections cost the monitor at most the cap in descriptors", async () => {
    const fds = () => readdirSync(`/proc/${w.proc.pid}/fd`).length;
    const before = fds();
    const socks: { end(): void }[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 200; i++) {
      try {
        socks.push(await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close() { closedByServer++; } } }));
      } catch {
        closedByServer++; // refused as it opened: over the cap
      }
    }
    await Bun.sleep(200);
    expect(fds() - before).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_PEER + 2);
    expect(closedByServer).toBeGreaterThanOrEqual(200 - MAX_CONNECTIONS_PER_PEER);
    // The ones admitted but silent are closed at the request deadline.
    await until(() => closedByServer === 200, "every idle connection closed", 5_000);
    for (const s of socks) s.end();
    // And a real scrape still works (after the bucket refilled).
    await Bun.sleep(1_000);
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain("hamon_component_up");
  }, 30_000);
});
