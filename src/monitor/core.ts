/**
 * The monitor core: turns what components say (dispatcher hooks), what the
 * check schedule sees, what processes do and what heartbeat regions show
 * into engine events; feeds the pure `decide()`; hands its actions to the
 * executor (actions.ts). It is the client of the loop (loop.ts: the one
 * timer, asleep until the earliest deadline — check due, query timeout,
 * readiness, grace end, liveness poll, fast-path poll — and the starvation
 * guard) and the source of the journal (journal-writer.ts).
 */
import { DaemonLogs } from "../process/daemon-logs.ts";
import { PlainDaemons } from "./plain.ts";
import { readPidfile } from "../process/pidfile.ts";
import { componentUid } from "../sys/accounts.ts";
import type { LifeAction, LifeEvent } from "../engine/lifecycle.ts";
import { Loop, MAX_SLEEP_MS, REAL_TIMER, type After, type LoopClient, type LoopTimer } from "./loop.ts";
import { JournalWriter } from "./journal-writer.ts";
import type { ComponentConfig, MonitorConfig } from "../config/config.ts";
import { decide, INITIAL_STATE, type EngineEvent, type EngineState } from "../engine/decide.ts";
import { FAST_PATH_POLICY, severity, type ComponentPolicy } from "../engine/policy.ts";
import type { Logger } from "../log.ts";
import type { CheckStatus, ComponentCounters, CoreStatus, Health, MessageOf } from "../protocol/messages.ts";
import { componentDetail } from "./show.ts";
import { CheckTable, type CheckDef, type CheckSink } from "./checks.ts";
import type { Dispatcher, MonitorEvent, MonitorHooks } from "./dispatch.ts";
import { Executor } from "./actions.ts";
import { FastPaths } from "./fastpaths.ts";
import type { JournalComponent, Loaded } from "./journal.ts";
import { findMonitorOwned, planAdoption, type Marked } from "../process/adopt.ts";
import type { EventSeq } from "./event-seq.ts";
import type { PersistenceHealth } from "./persistence.ts";
import type { Conn, Entry, Registry } from "./registry.ts";
import { LIVENESS_MS, Supervisor, type ExitInfo } from "../process/supervisor.ts";
import { Verbs } from "./verbs.ts";
import { AdHocQueries } from "./adhoc.ts";
import { realProcesses, signalIdentified, type ProcessControl } from "../process/control.ts";
import type { Notifier } from "../sys/sd-notify.ts";
import { notifyReady, Rediscovery, type DiscoveryOutcome } from "./rediscovery.ts";
import { NodeJudge } from "./node.ts";
import { LatenessHistogram } from "../engine/lateness.ts";
import type { NodeVerdict } from "../engine/node.ts";

/** A component that offers no check is still queried: liveness of its event loop. */
export const DEFAULT_CHECK: CheckDef = { name: "health", mode: "query", periodMs: 1_000, timeoutMs: 1_000, rise: 1, fall: 1 };
/** How often daemon logs (`output = "log"`) are checked for rotation. */
/** Dead orphans reparented to us (child subreaper) are collected this often. */
const REAP_ORPHANS_MS = 2_000;
/** An attached daemon that died is looked for in its pid file this often (its own supervisor restarts it). */
const FOLLOW_PIDFILE_MS = 500;
/** The node verdict is recomputed at least this often (the starvation window ends without an event). */
const JUDGE_EVERY_MS = 500;

export interface CoreOptions {
  config: MonitorConfig;
  socketPath: string;
  stateDir: string;
  log: Logger;
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
  /** The scheduler's one timer (default: the runtime's; a fake clock's in tests, with `now`). */
  timer?: LoopTimer;
  /** The monitor's loop, started by the composition root before the core exists (its timers serve the socket and the dispatcher too); absent: the core makes its own. */
  loop?: Loop;
}

export class MonitorCore implements MonitorHooks, CheckSink, LoopClient {
  engine: EngineState = INITIAL_STATE;
  readonly checks = new CheckTable();
  readonly sup: Supervisor;
  /** Daemon output (`output = "log"`): drained off the loop into rotated files. */
  readonly logs: DaemonLogs;
  private readonly pc: ProcessControl;
  readonly exec: Executor;
  readonly fast: FastPaths;
  readonly verbs: Verbs;
  readonly adhoc: AdHocQueries;
  private readonly plain: PlainDaemons;
  readonly node: NodeJudge;
  /** How late each timer wake-up was (Prometheus; the starvation guard acts on single wake-ups). */
  readonly lateness: LatenessHistogram;
  private readonly loop: Loop;
  private readonly journal: JournalWriter;
  private nextJudgeMs = 0;
  /** Discovery is over but the fast paths have not been polled yet: arm the judge after the next poll. */
  private armAfterPoll = false;
  readonly now: () => number;
  private nextLiveness = 0;
  private nextReapMs = 0;
  private nextFollowMs = 0;
  private stopped = false;
  private readonly inbox: EngineEvent[] = [];
  private feeding = false;
  private nextWatchdogMs = Infinity;
  rediscovery!: Rediscovery;
  /** Set once stop() begins: nothing is (re)started after that. */
  get stopping(): boolean {
    return this.stopped;
  }
  private readonly undeclaredFastPolicy: ComponentPolicy;

  constructor(readonly d: Dispatcher, readonly o: CoreOptions) {
    this.now = o.now ?? (() => performance.now());
    this.pc = o.control ?? realProcesses;
    if (o.loop) {
      this.loop = o.loop;
      this.loop.attach(this);
    } else this.loop = new Loop(this, this.now, o.timer ?? REAL_TIMER, new LatenessHistogram());
    this.lateness = this.loop.lateness;
    this.adhoc = new AdHocQueries(this.loop.after);
    this.sup = new Supervisor({ onExit: (x) => this.processExited(x), log: o.log, control: this.pc });
    this.logs = new DaemonLogs(o.stateDir, o.log);
    const core = this;
    this.journal = new JournalWriter(`${o.stateDir}/journal.json`, {
      get engine() {
        return core.engine;
      },
      entries: () => d.registry.all(),
      sup: this.sup,
      seqCeiling: () => o.seq?.ceiling ?? 0,
      get stopped() {
        return core.stopped;
      },
      quarantinedOf: (n) => core.quarantined(n),
    }, o.persistence ?? null, o.log, this.loop.after);
    this.exec = new Executor(this);
    this.fast = new FastPaths(this);
    this.verbs = new Verbs(this);
    this.plain = new PlainDaemons(this);
    this.node = new NodeJudge({
      registry: d.registry, weights: o.config.integrations.node,
      starved: () => this.now() < this.engine.starvedUntil,
      emit: (ev) => this.emit(ev),
      changed: (v) => o.onVerdict?.(v),
    });
    this.undeclaredFastPolicy = { ...FAST_PATH_POLICY, graceMs: o.config.defaults.graceMs, healthyResetMs: o.config.defaults.healthyResetMs, flap: o.config.defaults.flap };
    d.hooks = this;
    d.registry.quarantinedOf = (name) => this.quarantined(name);
  }

  get config(): MonitorConfig {
    return this.o.config;
  }

  // ---- the narrow views lent to the helpers (context.ts) --------------------
  get registry(): Registry {
    return this.d.registry;
  }
  get stateDir(): string {
    return this.o.stateDir;
  }
  get socketPath(): string {
    return this.o.socketPath;
  }
  get beforeReboot(): ((component: string, reason: string) => Promise<void>) | undefined {
    return this.o.beforeReboot;
  }
  get log(): Logger {
    return this.o.log;
  }
  get persistence(): PersistenceHealth | null {
    return this.o.persistence ?? null;
  }
  get replies(): Dispatcher {
    return this.d;
  }
  get effects(): Executor {
    return this.exec;
  }
  cores(): ReturnType<FastPaths["snapshot"]> {
    return this.fast.snapshot();
  }

  get journalPath(): string {
    return `${this.o.stateDir}/journal.json`;
  }

  /** The loop's timer, for the helpers (PlainContext). */
  get after(): After {
    return this.loop.after;
  }

  ownedProcess(name: string): { pid: number; startTime: number } | null {
    const pid = this.sup.pidOf(name);
    return pid > 0 && this.sup.owns(name) ? { pid, startTime: this.sup.startTimeOf(name) } : null;
  }

  emit(ev: MonitorEvent): void {
    this.d.emit(ev);
  }

  /** Declares configured components, reloads the journal, starts what hamon owns. */
  start(): void {
    const now = this.now();
    const windowMs = this.config.reregisterWindowMs;
    this.rediscovery = new Rediscovery(now, windowMs, (o) => this.discovered(o));
    const j = this.o.journal ?? { ok: "none" };
    const journaled = new Map<string, JournalComponent>();
    const declared = new Set([...this.config.components, ...this.config.fastpaths].map((c) => c.name));
    if (j.ok === true) {
      this.engine = j.data.engine;
      for (const c of j.data.components) journaled.set(c.name, c);
      this.o.log(j.from === this.journalPath ? "info" : "warn", "journal reloaded", { from: j.from, components: j.data.components.length, saved_by_pid: j.data.pid });
      if (j.data.timesDropped) this.o.log("warn", "journal times not applied", { why: j.data.timesDropped });
    } else if (j.ok === false) {
      this.o.log("warn", "journal ignored", { path: this.journalPath, why: j.why });
    }
    if (this.o.seq) this.o.seq.reserve = () => this.flushJournal(true);
    // Undeclared components the previous monitor had registered: wait for them too
    // (first: a spawn below writes the journal, which must still list them).
    for (const past of journaled.values()) {
      if (!past.up || declared.has(past.name)) continue;
      const e = this.d.registry.ensure(past.name, { kind: past.kind ?? "static", plane: past.plane ?? "control" });
      e.restarts = past.restarts;
      this.expect(e, now, "registered with the previous monitor; waiting for it to re-register", windowMs);
      this.rediscovery.await(e.name);
    }
    // Owned daemons are found by their mark in /proc too: a missing, stale or unwritable journal must not start second copies.
    const orphans = this.config.components.some((c) => c.start) ? findMonitorOwned(this.o.socketPath) : new Map<string, Marked[]>();
    for (const c of this.config.components) {
      const e = this.d.registry.ensure(c.name, { kind: c.kind, plane: c.plane, declared: c, state: "starting" });
      const past = journaled.get(c.name);
      e.restarts = past?.restarts ?? 0;
      if (c.kind !== "static" && !past?.active) {
        this.life(e, { type: "deactivated", reason: "not activated" }, now);
        continue;
      }
      if (c.pidfile && c.ready !== "pidfile") {
        const r = this.sup.attachPidfile(c.name, c.pidfile, { uid: componentUid(c) });
        if (r.ok) {
          e.pid = r.pid;
          this.life(e, { type: "present", reason: `attached to pid ${r.pid}` }, now);
        } else this.expect(e, now, r.why);
        continue;
      }
      // A mark is an environment variable any user can set: only a process running as the component's user (root when it names none) counts.
      const uid = componentUid(c) ?? 0;
      const adopted = c.start ? this.adoptOwned(c, past, (orphans.get(c.name) ?? []).filter((m) => m.uid === uid)) : 0;
      if (adopted > 0) {
        e.pid = adopted;
        if (c.output === "log") this.logs.reattach(c.name, adopted, { maxBytes: c.logMaxBytes, keep: c.logKeep });
        if (past?.restarting) this.exec.restart(e, "finishing the restart the previous monitor began", false);
        else if (c.ready !== "registered") {
          // A plain daemon never registers: its own checks say whether it is fine.
          this.armChecks(e, now);
          if (c.ready === "started" || c.ready === "pidfile") this.becameReady(e, now, `adopted pid ${adopted}:`);
          else this.expect(e, now, `adopted pid ${adopted} from the previous monitor; waiting for its ${c.ready === "region" ? "heartbeat region" : "probe"}`, c.readyTimeoutMs);
        } else this.expect(e, now, `adopted pid ${adopted} from the previous monitor; waiting for it to re-register`, Math.max(windowMs, c.readyTimeoutMs));
      } else if (c.start && past && past.pid > 0) {
        // It was running under the previous monitor and is gone now: a failure (counted, decided on), not a first start.
        const reason = `process ${past.pid} died while no monitor was running`;
        this.life(e, { type: "failed", reason }, now);
        this.emit({ component: c.name, event: "exited", level: "", reason });
        this.feed({ type: "failure", component: c.name, reason, certain: true });
      } else if (c.start) this.exec.spawn(e, "initial start");
      else if (past?.stopped) this.life(e, { type: "deregistered", reason: "cleanly, before the monitor restarted" }, now);
      else this.expect(e, now, "waiting for it to register", past?.up ? Math.max(windowMs, c.readyTimeoutMs) : c.readyTimeoutMs);
      if (e.state === "starting") this.rediscovery.await(e.name);
    }
    if (this.o.notifier?.watchdogMs) this.nextWatchdogMs = now;
    this.fast.start(now);
    this.markJournal();
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
    if (this.config.stopOnExit) {
      // The fast path last: the control plane goes first, so nothing is left steering a fast path that is gone.
      const owned = [...this.d.registry.all()].filter((e) => this.sup.owns(e.name));
      await Promise.all(owned.filter((e) => e.plane !== "fast").map((e) => this.exec.stopOwned(e, "monitor exiting")));
      await Promise.all(owned.filter((e) => e.plane === "fast").map((e) => this.exec.stopOwned(e, "monitor exiting")));
    }
    this.journal.close(); // durable: the next monitor may start after a power cut
  }

  /**
   * Beacons that answered after start (src/discovery/beacon.ts): each is a
   * live component, now reconnecting; wait for the ones not back yet. Ends
   * the "beacons pending" phase of discovery.
   */
  beckoned(names: readonly string[], removed: readonly string[]): void {
    const now = this.now();
    if (removed.length) this.o.log("info", "stale beacons removed", { count: removed.length, first: removed[0] ?? "" });
    for (const name of names) {
      const e = this.d.registry.ensure(name, { kind: "static", plane: "control" });
      if (e.state === "up" || !e.active) continue;
      if (e.state !== "starting") this.expect(e, now, "its beacon answered; waiting for it to re-register", this.config.reregisterWindowMs);
      this.rediscovery.await(name);
    }
    this.rediscovery.settle(now);
    this.reschedule(now);
  }

  private discovered(o: DiscoveryOutcome): void {
    const reason = `${o.back} of ${o.awaited} components back after ${o.ms} ms${o.missing.length ? `; missing: ${o.missing.slice(0, 16).join(", ")}${o.missing.length > 16 ? ", …" : ""}` : ""}`;
    this.emit({ component: "", event: o.missing.length ? "discovery-incomplete" : "discovery-complete", level: "", reason });
    notifyReady(this.o.notifier ?? null, o);
    // Judge only what has been looked at: the fast paths' regions are read by the next poll.
    if (this.config.fastpaths.length) {
      this.armAfterPoll = true;
      this.reschedule(this.now());
    } else this.node.arm();
  }

  /**
   * The policy of `name`: declared component, declared fast path, else the
   * [defaults] (fast-path levels for an undeclared fast-plane component).
   * Called on every engine event, so it returns shared objects, never new ones.
   */
  policyOf = (name: string): ComponentPolicy => {
    const e = this.d.registry.get(name);
    if (e?.declared) return e.declared.policy;
    return this.fast.policyOf(name) ?? (e?.plane === "fast" ? this.undeclaredFastPolicy : this.config.defaults);
  };

  /** Feeds the engine and executes its actions. */
  /** A watchdog verdict's event, decided after the loop's turn (loop.after: sd-event's post source): never inside a poll. */
  feedAfterPoll(ev: EngineEvent): void {
    this.postPoll.push(ev);
    if (this.postPoll.length === 1) this.loop.after(0, this.drainPostPoll);
  }

  private readonly postPoll: EngineEvent[] = [];
  private readonly drainPostPoll = () => {
    for (const ev of this.postPoll.splice(0)) this.feed(ev);
  };

  feed(ev: EngineEvent): void {
    if (this.stopped) return; // shutting down: connections closing now are not failures
    // Never re-entrant: an event fed while an earlier one's actions run (a spawn that fails, a
    // death seen during a restart) waits until those actions are done, then is decided.
    this.inbox.push(ev);
    if (this.feeding) return;
    this.feeding = true;
    try {
      for (let next = this.inbox.shift(); next; next = this.inbox.shift()) this.decideAndAct(next);
    } finally {
      this.feeding = false;
    }
  }

  private decideAndAct(ev: EngineEvent): void {
    const now = this.now();
    const r = decide(this.engine, ev, now, this.policyOf);
    if (r.state !== this.engine) {
      this.engine = r.state;
      this.markJournal();
    }
    // Write-ahead: the counters that led to an action are written before the
    // action starts, so a monitor killed mid-restart cannot forget them. Not
    // before restarting a daemon that is already dead: there the spawn comes
    // first and the write right after it (Executor.spawn) records both, so no
    // write sits between a death and its restart; a monitor killed between
    // the two (one spawn call, about a millisecond) loses only this failure's
    // count, and the new daemon is found by its mark (process/adopt.ts).
    if (r.actions.length && !r.actions.every((a) => this.exec.spawnsAtOnce(a))) this.flushJournal();
    for (const a of r.actions) this.exec.act(a, now);
  }

  /**
   * Finds the running copy of an owned daemon: the journal's pid if it is
   * still that process, else the oldest marked process with the same argv
   * (planAdoption); other marked copies are stopped, so exactly one runs.
   * Returns the adopted pid, or 0.
   */
  private adoptOwned(c: ComponentConfig, past: JournalComponent | undefined, found: Marked[]): number {
    const name = c.name;
    if (past && past.pid > 0 && this.sup.adopt(name, past.pid, past.startTime, true, past.pid)) {
      for (const m of found) if (m.pid !== past.pid && !found.some((p) => p.pid === m.ppid)) this.stopStray(name, m, "a second copy");
      return past.pid;
    }
    // A forking daemon runs another argv than its launcher: the one its pid file names is the daemon.
    const named = c.ready === "pidfile" ? readPidfile(c.pidfile!, this.pc, { uid: componentUid(c) }) : null;
    const plan = named && "pid" in named
      ? { adopt: found.find((m) => m.pid === named.pid) ?? null, stop: found.filter((m) => m.pid !== named.pid && !found.some((p) => p.pid === m.ppid)) }
      : planAdoption(found, c.start!, () => null);
    for (const m of plan.stop) this.stopStray(name, m, "a copy with other arguments or a duplicate");
    if (plan.adopt && this.sup.adopt(name, plan.adopt.pid, plan.adopt.startTime, true, plan.adopt.pgrp === plan.adopt.pid ? plan.adopt.pid : null)) {
      this.o.log("info", "owned daemon found by its mark", { component: name, pid: plan.adopt.pid, journal: past ? "stale" : "none" });
      return plan.adopt.pid;
    }
    return 0;
  }

  private stopStray(name: string, m: Marked, what: string): void {
    this.o.log("warn", "stopping a stray owned daemon", { component: name, pid: m.pid, why: what });
    this.emit({ component: name, event: "stray-stopped", level: "", reason: `pid ${m.pid}: ${what} (${m.argv.join(" ").slice(0, 200)})` });
    // Its group only if it still leads the one a monitor created for it at spawn.
    signalIdentified(this.pc, { pid: m.pid, startTime: m.startTime, group: m.pgrp === m.pid ? m.pid : null }, "SIGKILL");
  }

  // ---- dispatcher hooks -------------------------------------------------

  registered(e: Entry, m: MessageOf<"register">): void {
    const now = this.now();
    if (!e.active) {
      this.life(e, { type: "activated" }, now);
      if (e.kind === "dynamic") {
        // A declared dynamic component registering is activated by it.
        this.emit({ component: e.name, event: "activated", level: "", reason: "it registered" });
        this.markJournal();
      }
    }
    if (e.startedAtMs >= 0 && e.registrations > 0) {
      this.emit({ component: e.name, event: "ready", level: "", reason: `registered ${Math.round(now - e.startedAtMs)} ms after start` });
      e.startedAtMs = -1;
    }
    this.dropChecks(e);
    for (const c of mergeChecks(m.checks, e.declared?.checks ?? [])) e.slots.push(this.checks.add(e.index, c, now));
    this.feed({ type: "healthy", component: e.name });
    this.rediscovery.arrived(e.name, now);
    this.markJournal();
    this.reschedule(now);
    this.plain.releaseHeldBack();
  }

  deregistered(e: Entry, reason: string): boolean {
    this.dropChecks(e);
    // An undeclared component saying goodbye is forgotten, unless it was deactivated: it stays listed as inactive.
    const forget = !e.declared && e.active && !this.sup.alive(e.name);
    this.life(e, { type: "deregistered", reason });
    if (forget) this.feed({ type: "removed", component: e.name });
    this.markJournal();
    return forget;
  }

  disconnected(e: Entry, reason: string): void {
    this.dropChecks(e);
    e.conn = null;
    if (!e.active) return this.life(e, { type: "deactivated", reason: "deactivated" });
    // hamon is restarting it, or a new instance was already started after its exit.
    if (e.expectGone || e.state === "starting") return;
    const pidNote = e.pid > 0 && !this.pc.exists(e.pid) ? `; process ${e.pid} is gone` : "";
    this.d.registry.disconnect(e, `connection lost: ${reason}${pidNote}`, this.now());
    this.feed({ type: "failure", component: e.name, reason: `connection lost: ${reason}${pidNote}`, certain: true });
  }

  says(e: Entry, m: MessageOf<"report" | "confirm" | "error-report" | "reply">): void {
    const now = this.now();
    switch (m.type) {
      case "reply":
        if (this.adhoc.reply(m)) return;
        if (this.checks.reply(m.id, m.health !== "failed", m.detail, now, this)) this.noteHealth(e, m.health, m.detail);
        return;
      case "confirm": {
        const slot = this.slotOf(e, m.check);
        if (slot < 0) {
          e.conn?.send({ type: "error", id: 0, code: "E_NOT_FOUND", message: `confirm for check '${m.check}', which this component did not declare` });
          return;
        }
        this.checks.confirm(slot, m.result !== "failed", m.reason, now, this);
        this.noteHealth(e, m.result, m.reason);
        this.reschedule(now);
        return;
      }
      case "report": {
        const changed = e.reported !== m.health || e.reportedReason !== m.reason;
        const actions = this.d.registry.apply(e, { type: "report", health: m.health, reason: m.reason, checksFailing: this.checksFailing(e) }, now);
        if (changed) this.emit({ component: e.name, event: `report-${m.health}`, level: "", reason: m.reason });
        this.act(e, actions);
        return;
      }
      case "error-report": {
        const max = this.policyOf(e.name).maxRecommend;
        // Still evidence of a failure (capped by the engine), but the recommendation itself is refused and reported.
        // Told once per connection (protocol.md §5.1): a component that keeps recommending too high is not answered each time.
        if (e.conn && severity(m.level) > severity(max) && !e.conn.cappedTold) {
          e.conn.cappedTold = true;
          this.d.deny(e.conn, undefined, 0, e.name, `recommend ${m.level}`, `'${e.name}' may recommend at most ${max} (max_recommend)`);
        }
        this.emit({ component: e.name, event: "error-report", level: m.level, reason: m.reason });
        this.feed({ type: "failure", component: e.name, reason: `error report: ${m.reason}`, certain: true, recommended: m.level });
        return;
      }
    }
  }

  detailOf(name: string, now: number): { counters: ComponentCounters; checks: CheckStatus[] } | null {
    return componentDetail(this, name, now);
  }

  coresOf(name: string): CoreStatus[] | null {
    return this.fast.coresOf(name);
  }

  command(conn: Conn, m: MessageOf<"command">): boolean {
    return this.verbs.command(conn, m);
  }

  nodeVerdict(): NodeVerdict | null {
    return this.node.verdict;
  }

  // ---- check sink ---------------------------------------------------------

  sendQuery(owner: number, check: string, id: number): boolean {
    const e = this.d.registry.at(owner);
    if (!e) return false;
    // A probe or exec check is run by the monitor itself; its result comes back as the reply would.
    const run = runOf(e, check);
    // Its own deadline a little before the check's, so the probe's own words ("no 'PONG' within …") are the evidence.
    const t = this.checks.timeoutOf(id);
    if (run) {
      this.plain.runCheck(e, run, id, Math.max(1, Math.min(t - 1, Math.floor(t * 0.9))));
      return true;
    }
    if (!e.conn) return false;
    return e.conn.send({ type: "query", id, kind: "health", check, action: "" });
  }

  // ---- plain daemons (plain.ts) ------------------------------------------------

  armChecks(e: Entry, now: number): void {
    this.plain.armChecks(e, now);
  }

  becameReady(e: Entry, now: number, why: string): void {
    this.plain.becameReady(e, now, why);
  }

  holdBack(e: Entry, why: string, missing: readonly string[]): void {
    this.plain.holdBack(e, why, missing);
  }

  /** For plain.ts: a probe or exec check's answer, seen as a reply's would be. */
  answer(e: Entry, health: Health, detail: string): void {
    this.noteHealth(e, health, detail);
  }

  get control(): ProcessControl {
    return this.pc;
  }

  /** The core is the check table's sink (its samples become engine events). */
  get sink(): CheckSink {
    return this;
  }

  arrived(name: string, now: number): void {
    this.rediscovery.arrived(name, now);
  }

  transition(_slot: number, owner: number, ok: boolean, reason: string, certain: boolean): void {
    const e = this.d.registry.at(owner);
    if (!e) return;
    // A daemon still starting (ready = "probe") fails its probe until it serves: that is what "not ready
    // yet" looks like, not a failure. Its ready_timeout_ms decides if it never gets there.
    if (!ok && e.state === "starting" && e.declared?.ready === "probe") return this.life(e, { type: "note", reason: `starting; not ready yet: ${reason}` });
    this.emit({ component: e.name, event: ok ? "check-ok" : "check-failed", level: "", reason });
    if (!ok) this.life(e, { type: "check-failed", reason, certain });
    else if (!this.checksFailing(e)) this.life(e, { type: "checks-ok" });
  }

  // ---- processes ------------------------------------------------------------

  private processExited(x: ExitInfo): void {
    const e = this.d.registry.get(x.name);
    if (!e || !e.active) return;
    // A forking daemon's launcher finished: the daemon is the pid its file will name.
    if (e.declared?.ready === "pidfile" && e.state === "starting" && !e.expectGone && x.code === 0 && x.pid === e.pid) return this.plain.awaitPidfile(e, e.declared.pidfile!, { pid: x.pid, startTime: x.startTime });
    this.sup.reap(x);
    if (e.declared && e.declared.ready !== "registered") this.dropChecks(e); // its checks watched that process
    if (e.expectGone) return;
    const reason = `process ${x.pid} ${x.how}`;
    this.life(e, { type: "failed", reason });
    this.emit({ component: e.name, event: "exited", level: "", reason });
    this.feed({ type: "failure", component: e.name, reason, certain: true });
  }

  // ---- scheduling -----------------------------------------------------------

  /** Expect `e` to register by its ready timeout. */
  expect(e: Entry, now: number, reason: string, waitMs = e.declared?.readyTimeoutMs ?? 10_000): void {
    this.life(e, { type: "expect", reason, waitMs }, now);
    this.reschedule(now);
  }

  /** The one way a component's standing changes: a row of the lifecycle table (engine/lifecycle.ts), then what it asks. */
  life(e: Entry, ev: LifeEvent, now = this.now()): void {
    this.act(e, this.d.registry.apply(e, ev, now));
  }

  private act(e: Entry, actions: readonly LifeAction[]): void {
    for (const a of actions) {
      if (a.type === "failure") this.feed({ type: "failure", component: e.name, reason: a.reason, certain: a.certain });
      else if (a.type === "healthy") this.feed({ type: "healthy", component: e.name });
      else this.emit({ component: e.name, event: "degraded", level: "", reason: a.reason });
    }
  }

  private checksFailing(e: Entry): boolean {
    return e.slots.some((s) => this.checks.isFailed(s));
  }

  /** Wake earlier than planned if `now`'s bookkeeping added an earlier deadline. */
  reschedule(now: number): void {
    this.loop.reschedule(now);
  }

  /** The loop's client: the earliest deadline of anything the core watches. */
  nextDeadline(now: number): number {
    let next = Math.min(this.checks.nextWakeMs, now + MAX_SLEEP_MS, this.fast.nextPollMs, this.rediscovery.untilMs, this.nextWatchdogMs);
    for (const e of this.d.registry.list) {
      if (!e) continue;
      if (e.readyByMs < next) next = e.readyByMs;
      if (e.refailAtMs < next) next = e.refailAtMs;
    }
    if (this.sup.watchedCount > 0 && this.nextLiveness < next) next = this.nextLiveness;
    return next;
  }

  /** Quarantine lives in the engine state only (one place): entries and views ask it. */
  quarantined(name: string): boolean {
    return this.engine.components.get(name)?.quarantined ?? false;
  }

  /** The loop's client: the monitor was starved; uncertain failures are re-checked for a while. */
  starved(lateMs: number): void {
    this.feed({ type: "starved", lateMs, recheckMs: Math.max(1_000, 2 * lateMs) });
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
    this.checks.tick(now, this);
    this.rediscovery.tick(now);
    this.entryDeadlines(now);
    if (now >= this.nextJudgeMs) {
      this.nextJudgeMs = now + JUDGE_EVERY_MS;
      this.node.evaluate();
    }
    if (this.sup.watchedCount > 0 && now >= this.nextLiveness) {
      this.nextLiveness = now + LIVENESS_MS;
      this.sup.poll();
    }
    if (now >= this.nextReapMs) {
      this.nextReapMs = now + REAP_ORPHANS_MS;
      this.pc.reapOrphans(); // a daemon's helpers orphaned to us (child subreaper) leave no zombies
    }
    if (now >= this.nextFollowMs) {
      this.nextFollowMs = now + FOLLOW_PIDFILE_MS;
      this.followPidfiles(now);
    }
  }

  /**
   * Attach mode (a pid file, no start): the daemon is someone else's, and its
   * own supervisor may start a new instance after a death. Re-read the file
   * and follow it (under the same rules as at start).
   */
  private followPidfiles(now: number): void {
    for (const c of this.config.components) {
      if (!c.pidfile || c.ready === "pidfile" || this.sup.alive(c.name)) continue;
      const e = this.d.registry.get(c.name);
      if (!e || !e.active) continue;
      const r = this.sup.attachPidfile(c.name, c.pidfile, { uid: componentUid(c) });
      if (!r.ok) continue;
      e.pid = r.pid;
      this.emit({ component: c.name, event: "attached", level: "", reason: `pid ${r.pid} (from ${c.pidfile})` });
      this.life(e, { type: "present", reason: `attached to pid ${r.pid}` }, now);
      this.feed({ type: "healthy", component: c.name });
    }
  }

  private entryDeadlines(now: number): void {
    const list = this.d.registry.list;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (!e) continue;
      if (now >= e.readyByMs) this.life(e, { type: "ready-due" }, now);
      if (now >= e.refailAtMs) this.life(e, { type: "refail-due", quarantined: this.quarantined(e.name) }, now);
    }
  }

  private slotOf(e: Entry, check: string): number {
    for (const s of e.slots) if (this.checks.nameOf(s) === check) return s;
    return -1;
  }

  /** Frees the check slots of `e` (disconnect, deregister, deactivate). */
  dropChecks(e: Entry): void {
    for (const s of e.slots) this.checks.remove(s);
    e.slots.length = 0;
  }

  private noteHealth(e: Entry, h: Health, detail: string): void {
    this.life(e, { type: "answer", health: h, detail, checksFailing: this.checksFailing(e), known: this.engine.components.has(e.name) });
  }

  // ---- journal (journal-writer.ts) -------------------------------------------

  whenJournaled(then: () => void): void {
    this.journal.whenWritten(then);
  }

  markJournal(): void {
    this.journal.mark();
  }

  /** Writes the journal now if anything changed (also the write-ahead before actions, restarts and spawns). */
  flushJournal(force = false): void {
    this.journal.flush(force);
  }
}

/**
 * Declared checks override offered ones of the same name (timing, rise/fall); a component with none gets DEFAULT_CHECK.
 * An offered `timeout-ms` of 0 (or absent) means the monitor's default: the check's period (protocol.md §5.1).
 */
export function mergeChecks(offered: readonly { name: string; mode: "query" | "confirm"; periodMs: number; timeoutMs: number }[], declared: readonly CheckDef[]): CheckDef[] {
  const out = new Map<string, CheckDef>();
  for (const c of offered) out.set(c.name, { ...c, timeoutMs: c.timeoutMs > 0 ? c.timeoutMs : c.periodMs, rise: 1, fall: 1 });
  for (const c of declared) out.set(c.name, c);
  return out.size ? [...out.values()] : [DEFAULT_CHECK];
}

/** The probe/exec run of `e`'s check `name`, or null (a plain loop: sendQuery runs once per query, no closure). */
function runOf(e: Entry, name: string): import("../config/config.ts").CheckRun | null {
  const checks = e.declared?.checks;
  if (!checks) return null;
  for (let i = 0; i < checks.length; i++) if (checks[i]!.name === name) return checks[i]!.run;
  return null;
}
