/**
 * A daemon's life, in one room: spawn (the one way hamon starts a daemon, as
 * s6's trystart), hold back (`after`), ready (registered, started, probe,
 * pid file, region), restart (with what `binds_to` it), stop, its exit, and
 * the deadlines of its standing. Every change of a component's standing or
 * counters is a row of the lifecycle table (engine/lifecycle.ts) applied
 * here, and what the row asks (a failure or health for the engine, the
 * `ready` and `degraded` events) is carried out here: nowhere else.
 *
 * Adoption at start is startup.ts (it calls in here); the engine's verdicts
 * reach it through the executor (actions.ts).
 */
import type { MonitorConfig } from "../config/config.ts";
import type { EngineEvent } from "../engine/decide.ts";
import type { LifeAction, LifeEvent } from "../engine/lifecycle.ts";
import type { Logger } from "../log.ts";
import type { ProcessControl } from "../process/control.ts";
import type { DaemonLogs } from "../process/daemon-logs.ts";
import { launch } from "../process/launch.ts";
import type { ExitInfo, Supervisor } from "../process/supervisor.ts";
import { awaitPidfile, followPidfiles, followsAnyPidfile, type PidfileDeps } from "./pidfiles.ts";
import { armOfferedChecks, armPlainChecks, dropChecks } from "./check-slots.ts";
import type { CheckTable } from "./checks.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { After, Timer } from "./loop.ts";
import type { Entry, Registry } from "./registry.ts";

const REAP_ORPHANS_MS = 2_000; // dead orphans reparented to us (child subreaper) collected this often, when the loop turns
/** An attached daemon that died is looked for in its pid file this often (its own supervisor restarts it): a deadline of the loop's. */
const FOLLOW_PIDFILE_MS = 500;

export interface LifeDeps extends PidfileDeps {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly checks: CheckTable;
  readonly sup: Supervisor;
  readonly logs: DaemonLogs;
  readonly control: ProcessControl;
  readonly socketPath: string;
  readonly log: Logger;
  /** The loop's timer (loop.ts). */
  readonly after: After;
  now(): number;
  emit(ev: MonitorEvent): void;
  /** The engine's input (recovery.ts). */
  feed(ev: EngineEvent): void;
  /** Discovery's bookkeeping: `name` is back (rediscovery.ts). */
  arrived(name: string, now: number): void;
  /** Wake the loop earlier if `now`'s changes added an earlier deadline. */
  reschedule(now: number): void;
  readonly journal: { mark(): void; flush(force?: boolean): void };
  /** The monitor is stopping: nothing is (re)started. */
  stopping(): boolean;
}

export class Lives {
  /** Components held back by `after`, with why they were to start. */
  private readonly heldBack = new Map<string, string>();
  /** Restarts waiting for their backoff, by component. */
  private readonly waiting = new Map<string, Timer>();
  /** The last liveness poll: the next is due livenessMs after it, read each time (a lost death watcher shortens it at once). */
  private lastLiveness = -Infinity;
  private nextReapMs = 0;
  private nextFollowMs = 0;

  constructor(private readonly d: LifeDeps) {}

  /** The one way a component's standing changes: a row of the lifecycle table, then what it asks. */
  apply(e: Entry, ev: LifeEvent, now = this.d.now()): void {
    this.act(e, this.d.registry.apply(e, ev, now));
  }

  /** What a row asked (also the `registered` row, which the registry applies as it binds the connection). */
  act(e: Entry, actions: readonly LifeAction[]): void {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      if (a.type === "failure") this.d.feed({ type: "failure", component: e.name, reason: a.reason, certain: a.certain });
      else if (a.type === "healthy") this.d.feed({ type: "healthy", component: e.name });
      else this.d.emit({ component: e.name, event: a.type, level: "", reason: a.reason }); // "degraded", "ready"
    }
  }

  /** Expect `e` to be ready by its ready timeout (or `waitMs`). */
  expect(e: Entry, now: number, reason: string, waitMs = e.declared?.readyTimeoutMs ?? 10_000): void {
    this.apply(e, { type: "expect", reason, waitMs }, now);
    this.d.reschedule(now);
  }

  /**
   * Gone or broken (`event`: exited, start-failed): its standing, the event, a
   * certain failure for the engine; `start`: before it was ready (a start
   * failure restarts only itself unless its policy says otherwise).
   */
  failed(e: Entry, event: string, reason: string, now = this.d.now(), start = false): void {
    this.apply(e, { type: "failed", reason }, now);
    this.d.emit({ component: e.name, event, level: "", reason });
    this.d.feed({ type: "failure", component: e.name, reason, certain: true, start });
  }

  /** Starts an owned daemon (declared `start`), or holds it back until what it starts `after` is ready. */
  spawn(e: Entry, why: string): void {
    const d = e.declared;
    if (!d?.start || this.d.stopping()) return;
    const missing = d.after.filter((n) => this.d.registry.get(n)?.state !== "up");
    if (missing.length) return this.holdBack(e, why, missing);
    const now = this.d.now();
    let pid: number;
    try {
      pid = launch(this.d.sup, this.d.logs, e.name, d, this.d.socketPath);
    } catch (err) {
      return this.failed(e, "start-failed", `cannot start ${d.start[0]}: ${(err as Error).message}`, now, true);
    }
    this.apply(e, { type: "spawned", pid }, now);
    // A plain daemon: the checks the monitor runs itself (a forking one's once its pid file names the daemon).
    if (d.ready === "started" || d.ready === "probe") this.armChecks(e, now);
    if (d.ready !== "started") this.expect(e, now, `${why}: started pid ${pid}${d.ready === "region" ? "; waiting for its heartbeat region" : ""}`);
    this.d.emit({ component: e.name, event: "started", level: "", reason: `pid ${pid} (${why})` });
    if (d.ready === "started") this.ready(e, now, "started");
    this.d.journal.flush(true); // the new pid on disk now: a monitor killed next adopts it instead of starting a second copy
  }

  /**
   * Stops (if running) and starts an owned daemon again. `count`: false when
   * finishing a restart already counted; `collateral`: for another
   * component's failure (counted apart, a grace period for it, never a
   * failure of its own); `delayMs`: its backoff (it waits, with its next
   * attempt in its status).
   */
  restart(e: Entry, why: string, o: { count?: boolean; collateral?: boolean; delayMs?: number } = {}): void {
    this.waiting.get(e.name)?.cancel();
    this.waiting.delete(e.name);
    if (o.delayMs && o.delayMs > 0) {
      const now = this.d.now();
      this.apply(e, { type: "backoff", untilMs: now + o.delayMs }, now);
      this.waiting.set(e.name, this.d.after(o.delayMs, () => {
        this.waiting.delete(e.name);
        if (e.active && !this.d.stopping()) this.restart(e, why, { count: o.count ?? true });
      }));
      return;
    }
    const alive = this.d.sup.alive(e.name);
    this.apply(e, { type: "restarting", why, counted: o.count ?? true, collateral: o.collateral ?? false, alive });
    if (o.collateral) this.d.feed({ type: "collateral", component: e.name });
    if (!alive) {
      this.spawn(e, why); // already dead: no stop to wait for
      return this.restartBound(e);
    }
    this.d.journal.flush(true); // "restarting" on disk: a monitor killed during the stop finishes it
    void this.d.sup.stop(e.name, e.declared?.stop ?? null, this.d.config.stopTimeoutMs, { HAMON_COMPONENT: e.name }).then((how) => {
      this.apply(e, { type: "stopped" });
      this.d.emit({ component: e.name, event: "stopped", level: "", reason: how });
      if (e.active) this.spawn(e, why);
    });
    this.restartBound(e); // after `e` left "up": what starts after it waits for it
  }

  /** What binds to `e` (`binds_to`) is restarted with it (bgpd with zebra); `after` then holds it until `e` is ready. */
  private restartBound(e: Entry): void {
    for (const t of this.d.registry.all()) {
      if (t.active && t.declared?.start && t.declared.bindsTo.includes(e.name) && !t.expectGone) this.restart(t, `'${e.name}', which it binds to, is restarting`, { collateral: true });
    }
  }

  /** Stops an owned daemon for good (deactivate, shutdown); one hamon only attached to is released, never signalled. */
  async stop(e: Entry, why: string): Promise<void> {
    this.waiting.get(e.name)?.cancel(); // a restart waiting for its backoff is off too
    this.waiting.delete(e.name);
    if (!this.d.sup.alive(e.name)) return;
    this.apply(e, { type: "stopping" });
    let how = "released (not ours to signal)";
    if (this.d.sup.owns(e.name)) how = await this.d.sup.stop(e.name, e.declared?.stop ?? null, this.d.config.stopTimeoutMs, { HAMON_COMPONENT: e.name });
    else this.d.sup.release(e.name);
    this.apply(e, { type: "stopped" });
    this.d.emit({ component: e.name, event: "stopped", level: "", reason: `${how} (${why})` });
    this.d.journal.mark();
  }

  /**
   * An operator's hold (`hamon stop NAME`, as `sv down`): its checks stop, a
   * waiting restart is off, a daemon hamon owns is stopped (the one
   * escalation); until released nothing it does is a failure, and the node
   * does not count it. Journaled: it survives a monitor restart.
   */
  async hold(e: Entry, why: string): Promise<void> {
    this.waiting.get(e.name)?.cancel();
    this.waiting.delete(e.name);
    this.heldBack.delete(e.name);
    dropChecks(this.d.checks, e);
    this.apply(e, { type: "hold", reason: `held: ${why}` });
    this.d.journal.flush(true); // the hold on disk before the stop: a monitor killed meanwhile does not start it again
    if (e.declared?.start && this.d.sup.alive(e.name)) await this.stop(e, `held: ${why}`);
  }

  /** The hold ends (`hamon start NAME`): a daemon hamon owns is started; another is expected back (or is there). */
  release(e: Entry, why: string): void {
    const now = this.d.now();
    this.apply(e, { type: "release" }, now);
    if (e.declared?.start) this.spawn(e, `released: ${why}`);
    else if (e.conn) {
      armOfferedChecks(this.d.checks, e, e.checks, now);
      this.apply(e, { type: "present", reason: "" }, now);
      this.d.reschedule(now);
    } else this.expect(e, now, "released: waiting for it to register");
    this.d.journal.mark();
  }

  /** A daemon that does not register became ready: `ready` (with the startup latency), healthy; what waited for it starts. */
  ready(e: Entry, now: number, why: string): void {
    e.lastSeenMs = now;
    this.apply(e, { type: "ready", why }, now);
    this.d.feed({ type: "healthy", component: e.name });
    this.d.arrived(e.name, now);
    this.d.journal.mark();
    this.releaseHeldBack();
  }

  holdBack(e: Entry, why: string, missing: readonly string[]): void {
    this.heldBack.set(e.name, why);
    // A dynamic component that is not activated will not come by itself: say so, or the wait looks like a hang.
    const named = missing.map((n) => (this.d.registry.get(n)?.active === false ? `${n} (dynamic, not activated: it starts once ${n} is activated)` : n));
    this.apply(e, { type: "waiting", reason: `waiting for ${named.join(", ")} to be ready (${why})` });
  }

  /** Something became ready: start what was waiting for it (and only for it or others already up). */
  releaseHeldBack(): void {
    if (this.heldBack.size === 0) return;
    for (const [name, why] of [...this.heldBack]) {
      const e = this.d.registry.get(name);
      if (!e || !e.active) {
        this.heldBack.delete(name);
        continue;
      }
      if ((e.declared?.after ?? []).every((n) => this.d.registry.get(n)?.state === "up")) {
        this.heldBack.delete(name);
        this.spawn(e, why);
      }
    }
  }

  /** A plain daemon (ready = started | probe | pidfile) is watched by the checks the monitor runs itself. */
  armChecks(e: Entry, now: number): void {
    armPlainChecks(this.d.checks, e, now);
    this.d.reschedule(now);
  }

  /** A process hamon watches exited (the supervisor's report). */
  exited(x: ExitInfo): void {
    const e = this.d.registry.get(x.name);
    if (!e || !e.active) return;
    // A forking daemon's launcher finished: the daemon is the pid its file will name.
    if (e.declared?.ready === "pidfile" && e.state === "starting" && !e.expectGone && x.code === 0 && x.pid === e.pid) return awaitPidfile(this.d, this, e, e.declared.pidfile!, { pid: x.pid, startTime: x.startTime });
    this.d.sup.reap(x);
    if (e.declared && e.declared.ready !== "registered") dropChecks(this.d.checks, e); // its checks watched that process
    if (e.expectGone) return;
    // Before it was ready (still starting): a start failure.
    this.failed(e, "exited", `process ${x.pid} ${x.how}${e.state === "starting" ? " before it was ready" : ""}`, this.d.now(), e.state === "starting");
  }

  /** The chores of watching processes (the loop's tick): liveness of adopted ones, orphans collected, attached daemons followed. */
  chores(now: number): void {
    if (this.d.sup.watchedCount > 0 && now >= this.lastLiveness + this.d.sup.livenessMs) {
      this.lastLiveness = now;
      this.d.sup.poll();
    }
    if (now >= this.nextReapMs) {
      this.nextReapMs = now + REAP_ORPHANS_MS;
      this.d.control.reapOrphans(); // a daemon's helpers orphaned to us (child subreaper) leave no zombies
    }
    if (now >= this.nextFollowMs) {
      this.nextFollowMs = now + FOLLOW_PIDFILE_MS;
      followPidfiles(this.d, this, now);
    }
  }

  /** The readiness and grace deadlines that passed (the loop's tick; no allocation). */
  deadlines(now: number): void {
    const list = this.d.registry.list;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (!e) continue;
      if (now >= e.readyByMs) this.apply(e, { type: "ready-due" }, now);
      if (now >= e.refailAtMs) this.apply(e, { type: "refail-due", quarantined: this.d.registry.quarantinedOf(e.name) }, now);
      if (now >= e.flappingUntilMs) this.apply(e, { type: "steady" }, now);
    }
  }

  /** The earliest readiness or grace deadline, liveness poll or pid-file look, if before `next`. */
  nextDeadline(next: number): number {
    next = Math.min(next, this.d.sup.watchedCount > 0 ? this.lastLiveness + this.d.sup.livenessMs : Infinity, followsAnyPidfile(this.d.config.components) ? this.nextFollowMs : Infinity);
    const list = this.d.registry.list;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (!e) continue;
      if (e.readyByMs < next) next = e.readyByMs;
      if (e.refailAtMs < next) next = e.refailAtMs;
      if (e.flappingUntilMs < next) next = e.flappingUntilMs;
    }
    return next;
  }
}
