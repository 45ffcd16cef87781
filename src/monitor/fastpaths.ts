/**
 * Fast paths as monitored components: each `[[fastpath]]` is a heartbeat
 * region read by a HeartbeatWatch on the monitor's timer (every `tick_ms`),
 * and an entry in the registry (plane "fast"). Verdicts become engine events:
 * a dead core, a corrupt region or a vanished writer is a failure (default
 * level restart-control-plane-and-fast-path); a suspect core degrades the
 * component; all cores back to ok is health.
 */
import type { ComponentPolicy } from "../engine/policy.ts";
import { MAX_RESULT_CORES } from "../protocol/codec.ts";
import type { CoreStatus } from "../protocol/messages.ts";
import { HeartbeatWatch, type CoreView, type WatchEvent } from "../watchdog/watch.ts";
import { ScanThread, type ScanThreadOptions } from "../watchdog/scan-thread.ts";
import { STARVED_AFTER_MS } from "./loop.ts";
import type { FastPathConfig, MonitorConfig } from "../config/config.ts";
import type { EngineEvent } from "../engine/decide.ts";
import type { ProcessControl } from "../process/control.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { Lives } from "./life.ts";
import type { Registry } from "./registry.ts";
import { descendsFrom } from "../process/pidfile.ts";
import type { HeaderInfo } from "../watchdog/layout.ts";
import type { Entry } from "./registry.ts";

/** The fast paths report what their regions show; an owned one's region must come from its own process. */
export interface FastPathDeps {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly control: ProcessControl;
  /** Standing changes (life.ts). */
  readonly lives: Pick<Lives, "apply">;
  now(): number;
  emit(ev: MonitorEvent): void;
  /**
   * An engine event from a watchdog verdict: decided (and its effects run:
   * actions, flight record, journal, spawns) once the poll is over, never
   * inside it, so a poll never waits on a spawn or a disk.
   */
  feedAfterPoll(ev: EngineEvent): void;
  /**
   * An engine event decided now: for a verdict the watchdog's thread decided, which reaches this loop
   * as a message, outside any poll. Decided at once, in the order the thread decided them (a stall
   * short enough that its `ok` comes in the same turn as its `dead` must not see the recovery of the
   * `dead` decided after the `ok`: the node would turn red again for a core already back).
   */
  feed(ev: EngineEvent): void;
  /** The process hamon runs for fast path `name` (pid and start time), or null (not owned, or not running). */
  ownedProcess(name: string): { pid: number; startTime: number } | null;
  /** Discovery's bookkeeping: `name` is back (its region attached). */
  arrived(name: string, now: number): void;
  /** The watchdog's own thread (`[monitor] watchdog_thread`), or null: the hot scan on this loop, every tick_ms. */
  readonly thread: ScanThread | null;
}

/**
 * The watchdog's thread for this monitor: when `[monitor] watchdog_thread`
 * (the default) and there is a fast path to watch, on the real clock only (a
 * fake one drives every poll from the tests' loop).
 */
export function scanThreadFor(config: MonitorConfig, realClock: boolean, starved: (lateMs: number) => void, log: ScanThreadOptions["log"]): ScanThread | null {
  const w = config.watchdog;
  if (!w.thread || !realClock || config.fastpaths.length === 0) return null;
  return new ScanThread({ tickMs: config.tickMs, cpu: w.cpu, priority: w.priority, starvedAfterMs: STARVED_AFTER_MS, starved, log });
}

/** With the watchdog's thread, this loop runs only the slow path (a new region, a writer gone, pace) this often. */
export const SLOW_PATH_MS = 200;

/** Verdicts that are stale once the owned instance that wrote the region has died (its death was the failure). */
const STALE_AFTER_DEATH = new Set<WatchEvent["verdict"]>(["suspect", "slow", "dead", "corrupt", "writer-gone"]);

/** A declared fast path must publish a valid region within this after the monitor starts. */
export const FASTPATH_READY_MS = 10_000;

interface Watched {
  cfg: FastPathConfig;
  entry: Entry;
  watch: HeartbeatWatch;
  /** Cores currently not ok, with why. */
  bad: Map<number, string>;
}

export class FastPaths {
  private readonly list: Watched[] = [];
  nextPollMs = Infinity;

  constructor(private readonly core: FastPathDeps) {}

  policyOf(name: string): ComponentPolicy | null {
    for (const w of this.list) if (w.cfg.name === name) return w.cfg.policy;
    return null;
  }

  start(now: number): void {
    const c = this.core;
    for (const cfg of c.config.fastpaths) {
      const entry = c.registry.ensure(cfg.name, { kind: "static", plane: "fast", state: "starting" });
      const w: Watched = { cfg, entry, bad: new Map(), watch: null as unknown as HeartbeatWatch };
      const accept = cfg.start ? (h: HeaderInfo, uid: number) => this.ownRegion(cfg.name, h, uid) : undefined;
      w.watch = new HeartbeatWatch(cfg.heartbeat, { suspectMs: cfg.suspectMs, deadMs: cfg.deadMs, idleSlackMs: cfg.idleSlackMs, pollMs: c.config.tickMs, thread: c.thread, ...(accept ? { accept } : {}) }, (ev) => this.onEvent(w, ev));
      this.list.push(w);
      c.lives.apply(entry, { type: "expect", reason: `waiting for a valid heartbeat region at ${cfg.heartbeat}`, waitMs: FASTPATH_READY_MS }, now);
    }
    if (this.list.length) this.nextPollMs = now;
  }

  /** The hot path: one watch poll per fast path. */
  poll(now: number): void {
    if (now < this.nextPollMs) return;
    for (let i = 0; i < this.list.length; i++) this.list[i]!.watch.poll(now);
    this.nextPollMs = now + (this.core.thread ? SLOW_PATH_MS : this.core.config.tickMs);
  }

  /** The cores of fast path `name` (status/show), at most MAX_RESULT_CORES; null if it is not one. */
  coresOf(name: string): CoreStatus[] | null {
    const w = this.list.find((x) => x.cfg.name === name);
    return w ? w.watch.cores().slice(0, MAX_RESULT_CORES) : null;
  }

  /** Per-core view of every fast path (status, flight recorder). */
  snapshot(): { fastpath: string; cores: CoreView[] }[] {
    return this.list.map((w) => ({ fastpath: w.cfg.name, cores: w.watch.cores() }));
  }

  close(): void {
    for (const w of this.list) w.watch.close();
    this.core.thread?.close();
  }

  /**
   * An owned fast path's region counts only when its own process published
   * it: the file belongs to root or to that process's user, and the writer
   * named in the header is that process or one of its descendants (a region
   * planted by another user, or left by someone else's process, is refused).
   */
  private ownRegion(name: string, h: HeaderInfo, ownerUid: number): string | null {
    const c = this.core;
    const own = c.ownedProcess(name);
    if (!own) return "its process is not running: a region now is not its own";
    const uids = c.control.uids(own.pid);
    if (ownerUid !== 0 && ownerUid !== uids?.effective) return `the region belongs to uid ${ownerUid}, not to root or the fast path's user (refused)`;
    if (!descendsFrom(c.control, h.writerPid, own)) return `the region's writer pid ${h.writerPid} is not the fast path's process ${own.pid} or one of its children (refused)`;
    return null;
  }

  /** An owned fast path whose attached region was published by a process that is no longer the one hamon runs for it. */
  private previousInstance(w: Watched): boolean {
    const writer = w.watch.attached?.writerPid ?? 0;
    if (!w.cfg.start || writer <= 0) return false;
    const own = this.core.ownedProcess(w.cfg.name);
    return !own || !descendsFrom(this.core.control, writer, own);
  }

  private onEvent(w: Watched, ev: WatchEvent): void {
    // A verdict decided on the watchdog's thread is stamped with the moment it was decided there.
    const at = ev.at;
    const c = at ? { ...this.core, emit: (x: MonitorEvent) => this.core.emit({ ...x, at }), feedAfterPoll: (x: EngineEvent) => this.core.feed(x) } : this.core;
    const e = w.entry;
    const name = e.name;
    if (ev.slot < 0) {
      if (ev.verdict === "attached") {
        const now = c.now();
        e.lastSeenMs = now;
        w.bad.clear();
        c.lives.apply(e, { type: "adopted", pid: w.watch.attached?.writerPid ?? 0 }, now);
        c.lives.apply(e, { type: "present", reason: "" }, now);
        c.emit({ component: name, event: "attached", level: "", reason: ev.reason });
        // An owned fast path is ready when its region is attached (not when its process starts: a process that never publishes is down).
        c.lives.apply(e, { type: "ready", why: "its heartbeat region attached" }, now);
        c.arrived(name, now);
        c.feedAfterPoll({ type: "healthy", component: name });
      } else {
        c.lives.apply(e, { type: "note", reason: `heartbeat region: ${ev.reason}` });
        c.emit({ component: name, event: "heartbeat-invalid", level: "", reason: ev.reason });
      }
      return;
    }
    if (STALE_AFTER_DEATH.has(ev.verdict) && this.previousInstance(w)) {
      // An owned fast path's region still written by the instance that died: its death was the failure (seen at once by
      // the supervisor); what its region says since (a stale core, the writer gone) is not a second one. Verdicts
      // decided on the watchdog's thread can arrive after the restart, so this is asked here, not assumed from order.
      c.lives.apply(e, { type: "note", reason: `core slot ${ev.slot} ${ev.verdict} in the region of the previous instance (writer pid ${w.watch.attached?.writerPid ?? "?"}): already handled` });
      return;
    }
    // The writer's own name and lcore for the slot, so an operator reads "fwd0, lcore 1" (a verdict change is rare: allocating here is fine).
    const meta = ev.verdict === "writer-gone" ? undefined : w.watch.cores().find((x) => x.slot === ev.slot);
    const core = meta?.name ? `core slot ${ev.slot} (${meta.name}, lcore ${meta.lcore})` : `core slot ${ev.slot}`;
    switch (ev.verdict) {
      case "ok": case "unmonitored":
        w.bad.delete(ev.slot);
        if (w.bad.size === 0 && e.health !== "ok") {
          c.lives.apply(e, { type: "present", reason: "" });
          c.emit({ component: name, event: "cores-ok", level: "", reason: `${core} ${ev.verdict}` });
          c.feedAfterPoll({ type: "healthy", component: name });
        }
        return;
      // Its pace (watchdog/pace.ts): slow weighs on the node (a weaker forwarder), never a restart; overloaded is
      // said and shown, not a penalty (a peer would carry the same load: it is capacity, not health).
      case "slow":
        w.bad.set(ev.slot, "slow");
        c.lives.apply(e, { type: "degraded", reason: `${core} slow: ${ev.reason}` });
        c.emit({ component: name, event: "core-slow", level: "", reason: `${core}: ${ev.reason}` });
        return;
      case "overloaded":
        c.emit({ component: name, event: "core-overloaded", level: "", reason: `${core}: ${ev.reason}` });
        return;
      case "steady":
        c.emit({ component: name, event: "core-steady", level: "", reason: `${core}: ${ev.reason}` });
        if (w.bad.get(ev.slot) !== "slow") return;
        w.bad.delete(ev.slot);
        if (w.bad.size === 0 && e.health !== "ok") c.lives.apply(e, { type: "present", reason: "" });
        return;
      case "suspect": {
        w.bad.set(ev.slot, "suspect");
        c.lives.apply(e, { type: "degraded", reason: `${core}: no beat for ${w.cfg.suspectMs} ms (suspect)` });
        c.emit({ component: name, event: "core-suspect", level: "", reason: `${core}: no beat for ${w.cfg.suspectMs} ms` });
        return;
      }
      case "dead": case "corrupt": case "writer-gone": {
        const why = ev.verdict === "dead" ? `${core}: no beat for ${w.cfg.deadMs} ms (dead)` : ev.verdict === "corrupt" ? `${core}: corrupt ${ev.reason}` : `writer gone: ${ev.reason}`;
        const first = e.health !== "failed";
        w.bad.set(ev.slot, ev.verdict);
        c.lives.apply(e, { type: "failed", reason: why, state: ev.verdict === "writer-gone" ? "down" : "up" });
        c.emit({ component: name, event: `core-${ev.verdict}`, level: "", reason: why });
        // One failure per episode: a writer that dies takes every core with it.
        if (first) c.feedAfterPoll({ type: "failure", component: name, reason: why, certain: ev.verdict !== "dead" });
        return;
      }
    }
  }
}
