/**
 * The engine's side of the monitor: holds the engine state, feeds it one
 * event at a time (never re-entrant: an event fed while an earlier one's
 * actions run waits for them), writes the journal ahead of the actions, and
 * hands each action to the executor (actions.ts). A watchdog verdict's
 * event is decided after the loop's turn (`feedAfterPoll`: sd-event's post
 * source), never inside the poll.
 */
import type { MonitorConfig } from "../config/config.ts";
import { decide, INITIAL_STATE, type Action, type EngineEvent, type EngineState } from "../engine/decide.ts";
import type { ComponentPolicy } from "../engine/policy.ts";
import { planeDefaults } from "../config/policy.ts";
import type { Plane } from "../protocol/messages.ts";
import type { After } from "./loop.ts";
import type { Registry } from "./registry.ts";

export interface RecoveryDeps {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly after: After;
  now(): number;
  /** A declared fast path's policy, or null. */
  fastPolicyOf(name: string): ComponentPolicy | null;
  readonly journal: { mark(): void; flush(force?: boolean): void };
  /** The monitor is stopping: connections closing now are not failures. */
  stopping(): boolean;
}

/** What carries out the engine's actions (actions.ts). */
export interface ActionSink {
  act(a: Action, now: number): void;
  /** `a` only restarts an owned daemon that is already dead (a spawn at once, with its own journal write after it). */
  spawnsAtOnce(a: Action): boolean;
}

export class Recovery {
  engine: EngineState = INITIAL_STATE;
  private readonly inbox: EngineEvent[] = [];
  private feeding = false;
  private readonly postPoll: EngineEvent[] = [];
  /** An undeclared component's policy by plane: the [defaults] within its plane's ladder (made once: policyOf runs on every event). */
  private undeclared!: Readonly<Record<Plane, ComponentPolicy>>;

  constructor(private readonly d: RecoveryDeps, private readonly sink: ActionSink) {
    this.refreshPolicies();
  }

  /** Derives the undeclared components' policies from [defaults] (again after a reload). */
  refreshPolicies(): void {
    const def = this.d.config.defaults;
    this.undeclared = { control: planeDefaults(def, "control"), system: planeDefaults(def, "system"), fast: planeDefaults(def, "fast") };
  }

  /**
   * The policy of `name`: declared component, declared fast path, else the
   * [defaults] within its plane (fast-path levels for the fast plane).
   * Called on every engine event, so it returns shared objects, never new ones.
   */
  readonly policyOf = (name: string): ComponentPolicy => {
    const e = this.d.registry.get(name);
    if (e?.declared) return e.declared.policy;
    return this.d.fastPolicyOf(name) ?? this.undeclared[e?.plane ?? "control"];
  };

  /** Quarantine lives in the engine state only (one place): entries and views ask it. */
  readonly quarantined = (name: string): boolean => this.engine.components.get(name)?.quarantined ?? false;

  /**
   * The monitor was starved `lateMs`: said (monitor-degraded), and uncertain
   * failures re-checked for a while. Seen by the loop itself (`always`), or by
   * a check's own deadline (plain.ts), which says nothing new while the
   * guard already runs.
   */
  starved(lateMs: number, always = false): void {
    if (!always && this.d.now() < this.engine.starvedUntil) return;
    this.feed({ type: "starved", lateMs, recheckMs: Math.max(1_000, 2 * lateMs) });
  }

  /** A watchdog verdict's event, decided after the loop's turn (loop.after: sd-event's post source): never inside a poll. */
  feedAfterPoll(ev: EngineEvent): void {
    this.postPoll.push(ev);
    if (this.postPoll.length === 1) this.d.after(0, this.drainPostPoll);
  }

  private readonly drainPostPoll = () => {
    for (const ev of this.postPoll.splice(0)) this.feed(ev);
  };

  /** Feeds the engine and executes its actions. */
  feed(ev: EngineEvent): void {
    if (this.d.stopping()) return; // shutting down: connections closing now are not failures
    if (ev.type === "failure" && this.d.registry.get(ev.component)?.held) return; // an operator holds it: nothing it does is a failure
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
    const now = this.d.now();
    const r = decide(this.engine, ev, now, this.policyOf);
    if (r.state !== this.engine) {
      this.engine = r.state;
      this.d.journal.mark();
    }
    const sink = this.sink;
    // Write-ahead: the counters that led to an action are written before the
    // action starts, so a monitor killed mid-restart cannot forget them. Not
    // before restarting a daemon that is already dead: there the spawn comes
    // first and the write right after it (Lives.spawn) records both, so no
    // write sits between a death and its restart; a monitor killed between
    // the two (one spawn call, about a millisecond) loses only this failure's
    // count, and the new daemon is found by its mark (process/adopt.ts).
    if (r.actions.length && !r.actions.every((a) => sink.spawnsAtOnce(a))) this.d.journal.flush();
    for (const a of r.actions) sink.act(a, now);
  }
}
