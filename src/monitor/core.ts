/**
 * The monitor core: composes the rooms of the monitor, each with explicit,
 * narrow dependencies (none receives the core): the life room (life.ts: a
 * daemon's spawn, hold, ready, restart, stop), the intake (intake.ts: what
 * components say and checks see), the engine's side (recovery.ts) and its
 * executor (actions.ts), the fast paths, the verbs, the journal, the node
 * judge. It is the client of the loop (loop.ts): the earliest deadline of
 * anything time-driven, and one turn of it.
 */
import type { MonitorConfig } from "../config/config.ts";
import { LatenessHistogram } from "../engine/lateness.ts";
import type { NodeVerdict } from "../engine/node.ts";
import type { Logger } from "../log.ts";
import { realProcesses, type ProcessControl } from "../process/control.ts";
import { DaemonLogs } from "../process/daemon-logs.ts";
import { DeathWatch } from "../process/death-watch.ts";
import { Supervisor } from "../process/supervisor.ts";
import type { Notifier } from "../sys/sd-notify.ts";
import { Executor } from "./actions.ts";
import { AdHocQueries } from "./adhoc.ts";
import { CheckTable } from "./checks.ts";
import type { VerbRouter } from "./context.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { EventSeq } from "./event-seq.ts";
import { FastPaths, scanThreadFor } from "./fastpaths.ts";
import { Intake } from "./intake.ts";
import type { Loaded } from "./journal.ts";
import { JournalWriter } from "./journal-writer.ts";
import { Lives } from "./life.ts";
import { MAX_SLEEP_MS, type Loop, type LoopClient } from "./loop.ts";
import { NodeJudge } from "./node.ts";
import type { PersistenceHealth } from "./persistence.ts";
import type { RecentEvents } from "./recent.ts";
import { Recovery } from "./recovery.ts";
import { notifyReady, Rediscovery, type DiscoveryOutcome } from "./rediscovery.ts";
import type { Registry } from "./registry.ts";
import { componentDetail, monitorInfo, processAgeOf } from "./show.ts";
import { awaitBeckoned, resumeJournal, startComponents } from "./startup.ts";
import { allVerbs, routeVerbs } from "./verbs.ts";
import { reload } from "./reload.ts";

/** The node verdict is recomputed at least this often (the starvation window ends without an event). */
const JUDGE_EVERY_MS = 500;

export interface CoreOptions {
  config: MonitorConfig;
  socketPath: string;
  stateDir: string;
  log: Logger;
  /** The components (shared with the dispatcher). */
  registry: Registry;
  /** The event fan-out (events/fanout.ts): every event of every room goes there. */
  emit(ev: MonitorEvent): void;
  /** The last events of every component (`show`), filled by the fan-out. */
  recent: RecentEvents;
  now?: () => number;
  /** systemd notify socket (READY=1 after discovery, WATCHDOG=1 from this loop). */
  notifier?: Notifier | null;
  /** The node verdict changed (the HA-engine adapters). */
  onVerdict?: (v: NodeVerdict) => void;
  /** What the HA engines do before a reboot-system's hook (the adapters). */
  beforeReboot?: (component: string, reason: string) => Promise<void>;
  /** The journal as read at start (by the server: its event sequence is needed first). */
  journal?: Loaded;
  /** Event numbering; its reserved ceiling is journaled. */
  seq?: EventSeq;
  persistence?: PersistenceHealth;
  /** Process control (default: the real processes; a fake in tests). */
  control?: ProcessControl;
  /** Reads the configuration again, validated as at start-up (its file); absent: started without one. */
  reread?: () => { ok: true; config: MonitorConfig } | { ok: false; errors: string[] };
  /** The monitor's loop, started by the composition root before the core exists (its timers serve the socket and the dispatcher too; a fake clock's in tests). */
  loop: Loop;
}

export class MonitorCore implements LoopClient {
  readonly registry: Registry;
  readonly checks = new CheckTable();
  readonly sup: Supervisor;
  readonly logs: DaemonLogs;
  readonly lives: Lives;
  readonly recovery: Recovery;
  readonly fast: FastPaths;
  readonly intake: Intake;
  readonly verbs: VerbRouter;
  readonly node: NodeJudge;
  /** How late each timer wake-up was (Prometheus; the starvation guard acts on single wake-ups). */
  readonly lateness: LatenessHistogram;
  readonly now: () => number;
  private readonly adhoc: AdHocQueries;
  private readonly loop: Loop;
  private readonly journal: JournalWriter;
  private readonly pc: ProcessControl;
  private readonly deaths: DeathWatch | null;
  private readonly startedAt: number;
  private rediscovery: Rediscovery | null = null;
  private stopped = false;
  /** Discovery is over but the fast paths have not been polled yet: arm the judge after the next poll. */
  private armAfterPoll = false;
  private nextJudgeMs = 0;
  private nextWatchdogMs = Infinity;

  constructor(private readonly o: CoreOptions) {
    const now = (this.now = o.now ?? (() => performance.now()));
    this.startedAt = now();
    const registry = (this.registry = o.registry);
    const config = o.config;
    const pc = (this.pc = o.control ?? realProcesses);
    (this.loop = o.loop).attach(this); // the core is the loop's client (LoopClient: deadline, starved, tick)
    const after = this.loop.after;
    this.lateness = this.loop.lateness;
    const emit = o.emit;
    const feed = (ev: Parameters<Recovery["feed"]>[0]) => this.recovery.feed(ev); // decided in turn: never re-entrant (recovery.ts)
    const reschedule = (t: number) => this.loop.reschedule(t);
    const stopping = () => this.stopped;
    const arrived = (name: string, t: number) => this.rediscovery?.arrived(name, t);
    const checks = this.checks;
    this.adhoc = new AdHocQueries(after);
    // Adopted and attached daemons (not our children) are seen to die at once through a pidfd each, real processes only.
    this.deaths = pc === realProcesses ? new DeathWatch((pid) => this.sup.died(pid), (pid) => this.sup.verify(pid)) : null;
    this.sup = new Supervisor({ onExit: (x) => this.lives.exited(x), log: o.log, control: pc, sleep: this.loop.sleep, deaths: this.deaths });
    this.logs = new DaemonLogs(o.stateDir, o.log);
    const core = this;
    this.journal = new JournalWriter(`${o.stateDir}/journal.json`, {
      get engine() { return core.recovery.engine; }, // prettier-ignore
      get stopped() { return core.stopped; }, // prettier-ignore
      entries: () => registry.all(), sup: this.sup, seqCeiling: () => o.seq?.ceiling ?? 0, quarantinedOf: (n) => this.recovery.quarantined(n),
    }, o.persistence ?? null, o.log, after);
    const journal = this.journal;
    this.lives = new Lives({ config, registry, checks, sup: this.sup, logs: this.logs, control: pc, socketPath: o.socketPath, log: o.log, after, now, emit, feed, arrived, reschedule, journal, stopping });
    this.fast = new FastPaths({
      config, registry, control: pc, lives: this.lives, now, emit, arrived, feedAfterPoll: (ev) => this.recovery.feedAfterPoll(ev), feed, thread: scanThreadFor(config, !o.now, (late) => this.recovery.starved(late, true), o.log),
      ownedProcess: (name) => (this.sup.owns(name) && this.sup.pidOf(name) > 0 ? { pid: this.sup.pidOf(name), startTime: this.sup.startTimeOf(name) } : null),
    });
    const exec = new Executor({
      config, registry, checks, lives: this.lives, sup: this.sup, adhoc: this.adhoc, stateDir: o.stateDir, persistence: o.persistence ?? null, log: o.log,
      now, emit, reschedule, markJournal: () => journal.mark(), graceUntil: (n) => this.recovery.engine.components.get(n)?.graceUntil ?? 0, flapWindowMs: (n) => this.recovery.policyOf(n).flap.withinMs,
      cores: () => this.fast.snapshot(), beforeReboot: o.beforeReboot,
    });
    this.recovery = new Recovery({ config, registry, after, now, fastPolicyOf: (n) => this.fast.policyOf(n), journal, stopping }, exec);
    registry.quarantinedOf = this.recovery.quarantined;
    registry.processAgeOf = processAgeOf(this.sup);
    this.intake = new Intake({ registry, checks, lives: this.lives, adhoc: this.adhoc, control: pc, sup: this.sup, now, emit, feed, reschedule, journal, arrived, known: (n) => this.recovery.engine.components.has(n), starved: (late) => this.recovery.starved(late), after });
    this.verbs = routeVerbs(allVerbs({
      registry, recent: o.recent, lives: this.lives, effects: exec, adhoc: this.adhoc, checks, now, feed, emit, markJournal: () => journal.mark(),
      monitorInfo: (t) => monitorInfo(t, this.startedAt, this.node.verdict, o.persistence ?? null, o.stateDir), coresOf: (n) => this.fast.coresOf(n), reload: () => this.reload(),
      detailOf: (n, t) => componentDetail({ registry, checks, engine: this.recovery.engine, policyOf: this.recovery.policyOf }, n, t),
    }));
    this.node = new NodeJudge({ registry, weights: config.integrations.node, pressure: config.integrations.pressure, now, starvedUntil: () => this.recovery.engine.starvedUntil, emit, changed: (v) => o.onVerdict?.(v) });
  }

  /** The most a component may recommend (the dispatcher refuses more). */
  readonly maxRecommend = (name: string) => this.recovery.policyOf(name).maxRecommend;

  /** `hamon reload` and SIGHUP (reload.ts): said as one `reloaded` event, or refused with nothing changed. */
  reload(): ReturnType<typeof reload> {
    const r = reload({ config: this.o.config, registry: this.registry, checks: this.checks, lives: this.lives, sup: this.sup, now: this.now, feed: (ev) => this.recovery.feed(ev), reschedule: (t) => this.loop.reschedule(t), journal: this.journal, refreshPolicies: () => this.recovery.refreshPolicies() }, this.o.reread);
    this.o.emit(r.ok ? { component: "", event: "reloaded", level: "", reason: r.summary } : { component: "", event: "reload-refused", level: "", reason: r.errors.join("; ").slice(0, 2_000) });
    return r;
  }

  /** Declares configured components, reloads the journal, starts what hamon owns. */
  start(): void {
    const o = this.o;
    const now = this.now();
    this.rediscovery = new Rediscovery(now, o.config.reregisterWindowMs, (x) => this.discovered(x));
    const { engine, journaled } = resumeJournal(o.journal ?? { ok: "none" }, this.journal.path, o.log);
    if (engine) this.recovery.engine = engine;
    if (o.seq) o.seq.reserve = () => this.journal.flush(true);
    const rd = this.rediscovery;
    startComponents({ config: o.config, registry: this.registry, sup: this.sup, logs: this.logs, control: this.pc, lives: this.lives, socketPath: o.socketPath, log: o.log, emit: o.emit, await: (n) => rd.await(n) }, journaled, now);
    if (o.notifier?.watchdogMs) this.nextWatchdogMs = now;
    this.fast.start(now);
    this.journal.mark();
    this.loop.start(this.now()); // not the `now` of the start: spawning and journaling the owned daemons took time
  }

  /**
   * Stops monitoring. Owned daemons keep running (the next monitor adopts
   * them from the journal) unless `[monitor] stop_on_exit` says otherwise.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.notifier?.send("STOPPING=1\n");
    this.loop.stop();
    this.fast.close();
    this.logs.close();
    this.adhoc.cancelAll();
    if (this.o.config.stopOnExit) {
      // The fast path last: the control plane goes first, so nothing is left steering a fast path that is gone.
      const owned = [...this.registry.all()].filter((e) => this.sup.owns(e.name));
      await Promise.all(owned.filter((e) => e.plane !== "fast").map((e) => this.lives.stop(e, "monitor exiting")));
      await Promise.all(owned.filter((e) => e.plane === "fast").map((e) => this.lives.stop(e, "monitor exiting")));
    }
    this.deaths?.close(); // after the stops above: an adopted daemon's exit on SIGTERM is seen through it
    this.journal.close(); // durable: the next monitor may start after a power cut
  }

  /** Beacons that answered after start (src/discovery/beacon.ts): ends the "beacons pending" phase of discovery (startup.ts). */
  beckoned(names: readonly string[], removed: readonly string[]): void {
    const now = this.now();
    if (removed.length) this.o.log("info", "stale beacons removed", { count: removed.length, first: removed[0] ?? "" });
    awaitBeckoned(this.registry, this.lives, this.rediscovery!, names, this.o.config.reregisterWindowMs, now);
    this.loop.reschedule(now);
  }

  private discovered(x: DiscoveryOutcome): void {
    const reason = `${x.back} of ${x.awaited} components back after ${x.ms} ms${x.missing.length ? `; missing: ${x.missing.slice(0, 16).join(", ")}${x.missing.length > 16 ? ", …" : ""}` : ""}`;
    this.o.emit({ component: "", event: x.missing.length ? "discovery-incomplete" : "discovery-complete", level: "", reason });
    notifyReady(this.o.notifier ?? null, x);
    // Judge only what has been looked at: the fast paths' regions are read by the next poll.
    if (this.o.config.fastpaths.length) {
      this.armAfterPoll = true;
      this.loop.reschedule(this.now());
    } else this.node.arm();
  }

  /** The loop's client: the earliest deadline of anything the core watches. */
  nextDeadline(now: number): number {
    let next = Math.min(this.checks.nextWakeMs, now + MAX_SLEEP_MS, this.fast.nextPollMs, this.rediscovery?.untilMs ?? Infinity, this.nextWatchdogMs, this.node.nextDueMs(now));
    return this.lives.nextDeadline(next);
  }

  /** The loop's client: the monitor was starved; uncertain failures are re-checked for a while. */
  starved(lateMs: number): void {
    this.recovery.starved(lateMs, true);
  }

  /** The loop's client: one turn of everything time-driven. */
  tick(now: number): void {
    if (now >= this.nextWatchdogMs) {
      // From the loop itself: if it stops turning, systemd stops hearing this.
      this.o.notifier!.send("WATCHDOG=1\n");
      this.nextWatchdogMs = now + this.o.notifier!.watchdogMs;
    }
    this.fast.poll(now);
    if (this.armAfterPoll) {
      this.armAfterPoll = false;
      this.node.arm();
    }
    this.checks.tick(now, this.intake);
    this.rediscovery?.tick(now);
    this.lives.deadlines(now);
    if (now >= this.nextJudgeMs || this.node.nextDueMs(now) <= now) {
      this.nextJudgeMs = now + JUDGE_EVERY_MS;
      this.node.evaluate();
    }
    this.lives.chores(now);
  }
}
