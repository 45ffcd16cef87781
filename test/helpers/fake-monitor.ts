/**
 * The monitor's core in-process on a fake clock and fake processes: no
 * socket, no monitor process, no sleeping. Every timer of the monitor is the
 * loop's (loop.ts), so advancing the clock runs them all in order: check
 * deadlines, readiness deadlines, pid-file looks, stop deadlines.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config.ts";
import { LatenessHistogram } from "../../src/engine/lateness.ts";
import { MonitorCore } from "../../src/monitor/core.ts";
import { Dispatcher, type MonitorEvent } from "../../src/monitor/dispatch.ts";
import { Loop, type LoopTimer } from "../../src/monitor/loop.ts";
import { RecentEvents } from "../../src/monitor/recent.ts";
import { Registry, type Conn } from "../../src/monitor/registry.ts";
import type { Message } from "../../src/protocol/messages.ts";
import { FakeProcesses } from "../../src/process/fake.ts";

/** A fake clock that owns the loop's one timer: advance() runs each wake-up at its own time, in order. */
export class FakeClock implements LoopTimer {
  now = 1_000;
  /** Wake-ups run so far: what an idle monitor costs, counted. */
  wakes = 0;
  private due: { at: number; fn: () => void } | null = null;
  set(fn: () => void, ms: number): unknown {
    this.due = { at: this.now + ms, fn };
    return this.due;
  }
  clear(h: unknown): void {
    if (this.due === h) this.due = null;
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    while (this.due && this.due.at <= end) {
      const d = this.due;
      this.due = null;
      this.now = d.at;
      this.wakes++;
      d.fn();
      await Promise.resolve(); // let promise callbacks (a process exit) run at this instant
      await Promise.resolve();
    }
    this.now = end;
  }
}

export interface FakeMonitor {
  clock: FakeClock;
  procs: FakeProcesses;
  events: MonitorEvent[];
  core: MonitorCore;
  d: Dispatcher;
  loop: Loop;
  /** A connection that has said hello (a component's by default); what the monitor sends it is in `sent`. */
  connect(role?: "component" | "client"): { conn: Conn; sent: Message[] };
  /** The events of `component`, by name, in order. */
  of(component: string): string[];
}

export function fakeMonitor(toml: string): FakeMonitor {
  const cfg = parseConfig(toml);
  if (!cfg.ok) throw new Error(cfg.errors.join("; "));
  const clock = new FakeClock();
  const procs = new FakeProcesses();
  const events: MonitorEvent[] = [];
  // One loop on the fake clock drives every timer: the core's, the dispatcher's, the journal's.
  const loop = Loop.idle(() => clock.now, clock, new LatenessHistogram());
  const emit = (e: MonitorEvent) => void events.push(e);
  const registry = new Registry();
  const core = new MonitorCore({
    config: { ...cfg.config, reregisterWindowMs: 0 }, socketPath: "/nonexistent/hamon-fake.sock", stateDir: mkdtempSync(join(tmpdir(), "hamon-fake-")),
    log: () => {}, now: () => clock.now, control: procs, loop, registry, emit, recent: new RecentEvents(),
  });
  const d = new Dispatcher({ now: () => clock.now, emit, log: () => {}, after: loop.after, registry, hooks: core.intake, verbs: core.verbs, maxRecommend: core.maxRecommend });
  const connect = (role: "component" | "client" = "component") => {
    const sent: Message[] = [];
    const conn: Conn = { send: (m) => (sent.push(m), true), close: () => {} };
    d.open(conn);
    d.handle(conn, { type: "hello", version: 1, minVersion: 1, role, agent: "fake" });
    sent.length = 0;
    return { conn, sent };
  };
  return { clock, procs, events, core, d, loop, connect, of: (c) => events.filter((e) => e.component === c).map((e) => e.event) };
}
