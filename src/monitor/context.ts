/**
 * What the monitor core lends its helpers: narrow views, not the core.
 * The effects executor (actions.ts), the fast paths, the operator verbs and
 * `show` each take the smallest of these that does the job, so none of them
 * imports core.ts (no import cycle inside src/monitor/, checked by
 * test/architecture.test.ts) and each can be driven by a test double.
 *
 * @example
 *   class FastPaths { constructor(private readonly c: FastPathContext) {} }
 */
import type { MonitorConfig } from "../config/config.ts";
import type { EngineEvent, EngineState } from "../engine/decide.ts";
import type { ComponentPolicy } from "../engine/policy.ts";
import type { Logger } from "../log.ts";
import type { After } from "./loop.ts";
import type { DaemonLogs } from "../process/daemon-logs.ts";
import type { Health, MessageOf, MonitorInfo } from "../protocol/messages.ts";
import type { ProcessControl } from "../process/control.ts";
import type { CoreView } from "../watchdog/watch.ts";
import type { AdHocQueries } from "./adhoc.ts";
import type { CheckSink, CheckTable } from "./checks.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { PersistenceHealth } from "./persistence.ts";
import type { Conn, Entry, Registry } from "./registry.ts";
import type { LifeEvent } from "../engine/lifecycle.ts";
import type { Supervisor } from "../process/supervisor.ts";
import type { ErrorCode } from "../protocol/errors.ts";

/** The bookkeeping every helper shares: the registry, the clock, events, the engine's input. */
export interface CoreContext {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  now(): number;
  emit(ev: MonitorEvent): void;
  feed(ev: EngineEvent): void;
  /** The one way a component's standing changes (engine/lifecycle.ts); what the row asks is carried out. */
  life(e: Entry, ev: LifeEvent, now?: number): void;
}

/** What `show NAME` reads. */
export interface DetailContext {
  readonly registry: Registry;
  readonly engine: EngineState;
  readonly checks: CheckTable;
  policyOf(name: string): ComponentPolicy;
}

/** The fast paths report what their regions show; an owned one's region must come from its own process. */
export interface FastPathContext extends CoreContext {
  /**
   * An engine event from a watchdog verdict: decided (and its effects run:
   * actions, flight record, journal, spawns) once the poll is over, never
   * inside it, so a poll never waits on a spawn or a disk.
   */
  feedAfterPoll(ev: EngineEvent): void;
  /** The process hamon runs for fast path `name` (pid and start time), or null (not owned, or not running). */
  ownedProcess(name: string): { pid: number; startTime: number } | null;
  readonly control: ProcessControl;
}

/** The effects executor carries out decisions: processes, hooks, queries, flight records. */
export interface ExecutorContext extends CoreContext, DetailContext {
  readonly sup: Supervisor;
  readonly logs: DaemonLogs;
  readonly adhoc: AdHocQueries;
  readonly stopping: boolean;
  readonly stateDir: string;
  readonly socketPath: string;
  readonly log: Logger;
  readonly persistence: PersistenceHealth | null;
  expect(e: Entry, now: number, reason: string, waitMs?: number): void;
  reschedule(now: number): void;
  markJournal(): void;
  flushJournal(force?: boolean): void;
  /** Every fast path's cores (the flight recorder). */
  cores(): { fastpath: string; cores: CoreView[] }[];
  /** A plain daemon's probe and exec checks, armed at its start. */
  armChecks(e: Entry, now: number): void;
  /** A daemon that does not register is ready (started, or its probe passed). */
  becameReady(e: Entry, now: number, why: string): void;
  /** `e` waits for `missing` (its `after`) to be ready, then is started. */
  holdBack(e: Entry, why: string, missing: readonly string[]): void;
  /** What the HA engines do before a reboot-system's hook (a cluster standby); absent: nothing. */
  readonly beforeReboot: ((component: string, reason: string) => Promise<void>) | undefined;
}

/** The executor's operations the verbs use (kept structural: verbs.ts need not import actions.ts). */
export interface Effects {
  perform(level: MessageOf<"error-report">["level"], name: string, reason: string): void;
  spawn(e: Entry, why: string): void;
  stopOwned(e: Entry, why: string): Promise<void>;
  delegateStop(e: Entry, why: string): Promise<void>;
}

/** The dispatcher's replies the verbs use. */
export interface Replies {
  fail(conn: Conn, id: number, code: ErrorCode, message: string, close: boolean): void;
  who(conn: Conn): string;
  sendResult(conn: Conn, m: MessageOf<"result">): void;
  monitorInfo(now: number): MonitorInfo;
}

/** Plain daemons (plain.ts): their checks, readiness, pid files, start order. */
export interface PlainContext extends CoreContext {
  /** The loop's timer (loop.ts). */
  readonly after: After;
  readonly checks: CheckTable;
  readonly sup: Supervisor;
  readonly control: ProcessControl;
  readonly stopping: boolean;
  readonly log: Logger;
  /** Where check samples go (the core). */
  readonly sink: CheckSink;
  readonly effects: { spawn(e: Entry, why: string): void };
  answer(e: Entry, health: Health, detail: string): void;
  dropChecks(e: Entry): void;
  reschedule(now: number): void;
  markJournal(): void;
  flushJournal(force?: boolean): void;
  arrived(name: string, now: number): void;
}

/** The operator verbs: restart, activate, deactivate, query. */
export interface VerbsContext extends CoreContext {
  readonly replies: Replies;
  readonly effects: Effects;
  readonly adhoc: AdHocQueries;
  expect(e: Entry, now: number, reason: string, waitMs?: number): void;
  markJournal(): void;
  dropChecks(e: Entry): void;
}
