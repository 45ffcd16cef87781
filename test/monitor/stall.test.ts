/**
 * A stalled machine must not restart healthy daemons: 20 whole-machine
 * stalls of 1.5 s (a real-time busy loop on every CPU, `chrt -f 50`, each
 * bounded by `timeout`) beside a probed daemon whose probe answers in
 * microseconds. A probe whose own deadline passed while the machine (and the
 * monitor) stood still proves nothing: it is checked again, not counted.
 * Each stall is said (`monitor-degraded`). Needs root (real-time priority:
 * CI runs as root; the kernel's RT throttling leaves others 5 % meanwhile).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort } from "../helpers/port.ts";
import { startWatched, until, type Watched } from "../helpers/watched.ts";
import { stallMachine } from "../helpers/stall.ts";

const PONG = join(import.meta.dir, "..", "fixtures", "pong.ts");
const STALLS = 20;
const STALL_S = 1.5;

describe(`${STALLS} whole-machine stalls of ${STALL_S} s beside a healthy probed daemon`, () => {
  let w: Watched;
  const windows: [number, number][] = [];
  let mark = 0;
  beforeAll(async () => {
    const port = freePort();
    // fall = 1, a 200 ms deadline: a hair trigger, so a stall that counted would restart it.
    w = await startWatched(`[[component]]\nname = "pongd"\nstart = ${JSON.stringify([process.execPath, PONG, String(port)])}\nready = "probe"\n[[component.check]]\nname = "pong"\nmode = "probe"\nconnect = "tcp://127.0.0.1:${port}"\nsend = "PING\\n"\nexpect = "PONG"\nperiod_ms = 200\ntimeout_ms = 200\nfall = 1\n`);
    // Ready may come before this test's subscriber is attached: read the state, not the event.
    await until(async () => {
      const r = await w.cmd("status", "pongd");
      return r.type === "result" && r.components[0]?.state === "up";
    }, "pongd up", 10_000);
    await Bun.sleep(500);
    mark = w.events.length;
    for (let i = 0; i < STALLS; i++) {
      const from = Date.now();
      await stallMachine(STALL_S);
      windows.push([from, Date.now()]);
      await Bun.sleep(1_000); // the monitor catches up, the probe passes again
    }
    await Bun.sleep(1_000);
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  test("no false restart: the probed daemon is never recovered, never restarted", () => {
    const bad = w.events.slice(mark).filter((e) => e.component === "pongd" && ["recover", "started", "exited", "stopped"].includes(e.event));
    expect(bad.map((e) => `${e.event}: ${e.reason}`)).toEqual([]);
  });

  test("each stall is said: a monitor-degraded event during or right after every one", () => {
    const degraded = w.events.slice(mark).filter((e) => e.event === "monitor-degraded").map((e) => e.time);
    const unsaid = windows.filter(([a, b]) => !degraded.some((t) => t >= a && t <= b + 1_000));
    expect(unsaid.length).toBe(0);
  });
});
