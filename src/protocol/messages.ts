/**
 * Wire protocol v1 message types: one closed union, one variant per root
 * element. docs/protocol.md is the normative description; this file and
 * codec.ts must agree with it (test/protocol/xsd.test.ts checks every encoded
 * message against docs/hamon-v1.xsd).
 */
export const KINDS = ["static", "dynamic"] as const;
export const PLANES = ["control", "fast", "system"] as const;
export const HEALTH = ["ok", "degraded", "failed"] as const;
/** The recovery ladder, lowest first. Order matters: index = severity. */
export const LEVELS = ["restart-daemon", "restart-control-plane", "restart-control-plane-and-fast-path", "reboot-system"] as const;
export const QUERY_KINDS = ["health", "audit", "dump", "action"] as const;
export const ROLES = ["component", "client", "subscriber"] as const;
export const CHECK_MODES = ["query", "confirm"] as const;
export const VERBS = ["ping", "status", "list", "show", "query", "restart", "activate", "deactivate", "stop", "start", "reload"] as const;

export type Kind = (typeof KINDS)[number];
export type Plane = (typeof PLANES)[number];
export type Health = (typeof HEALTH)[number];
export type Level = (typeof LEVELS)[number];
export type QueryKind = (typeof QUERY_KINDS)[number];
export type Role = (typeof ROLES)[number];
export type CheckMode = (typeof CHECK_MODES)[number];
/** A check as `show` reports it: also the probe and exec checks the monitor runs itself. */
export const CHECK_STATUS_MODES = [...CHECK_MODES, "probe", "exec"] as const;
export type Verb = (typeof VERBS)[number];

/** A health check a component offers: answered on query, or confirmed by the component itself. */
export interface CheckSpec {
  readonly name: string;
  readonly mode: CheckMode;
  readonly periodMs: number;
  readonly timeoutMs: number;
}

/** One fast-path core, as `show`/`status NAME` reports it for a fast-path component. */
export interface CoreStatus {
  readonly slot: number;
  readonly lcore: number;
  readonly name: string;
  /** Writer-declared state: running, idle, parked, exited, unused. */
  readonly state: string;
  /** hamon's verdict: ok, slow, overloaded, suspect, dead, corrupt, unmonitored, writer-gone. */
  readonly verdict: string;
  readonly ageMs: number;
}

/** One recent sample of a check (`show`). */
export interface SampleStatus {
  readonly agoMs: number;
  readonly ok: boolean;
  readonly reason: string;
}

/** One check of a component, with its most recent samples, oldest first (`show`). */
export interface CheckStatus {
  readonly name: string;
  readonly mode: (typeof CHECK_STATUS_MODES)[number];
  readonly periodMs: number;
  readonly failed: boolean;
  readonly samples: readonly SampleStatus[];
}

/** What the engine remembers of a component (`show`). */
export interface ComponentCounters {
  readonly registrations: number;
  readonly restarts: number;
  /** Restarts for another component's failure (`binds_to`, a plane restart): counted apart, never its own failures. */
  readonly collateral: number;
  /** Failures in the engine's history (forgotten after a healthy spell). */
  readonly failures: number;
  readonly recoveries: number;
  /** Grace left after the last recovery, ms (failures in it are ignored). */
  readonly graceMs: number;
  readonly quarantined: boolean;
  /** What the engine would do on a failure now: a level, "ignore" (grace) or "quarantine". */
  readonly next: string;
  /** False for a daemon that never registers (a plain or attached one): `registrations` then counts its starts, and its AGE is its process's age. Absent: true. */
  readonly registers?: boolean;
}

/** One of the component's recent events (decisions and what led to them), oldest first (`show`). */
export interface RecentEvent {
  readonly seq: number;
  readonly time: number;
  readonly event: string;
  readonly level: string;
  readonly reason: string;
}

/** One component as the monitor reports it to clients. Attributes are additive within v1. */
export interface ComponentStatus {
  readonly name: string;
  readonly kind: Kind;
  readonly plane: Plane;
  /** Lifecycle: up (registered), down (expected but absent), inactive (dynamic, deactivated), starting. */
  readonly state: string;
  readonly health: Health;
  readonly reason: string;
  readonly pid: number;
  /** Milliseconds since the monitor last heard from it; -1 = never. */
  readonly ageMs: number;
  readonly restarts: number;
  /** Fast-path components, when the request named one component: its cores (at most MAX_RESULT_CORES). */
  readonly cores?: readonly CoreStatus[];
  /** `show NAME` only: counters, checks with recent samples, recent events. */
  readonly counters?: ComponentCounters;
  readonly checks?: readonly CheckStatus[];
  readonly recent?: readonly RecentEvent[];
}

export interface MonitorInfo {
  readonly pid: number;
  readonly version: string;
  readonly uptimeMs: number;
  /** The node verdict told to the HA engines (src/engine/node.ts); absent before the monitor has judged. */
  readonly node?: { readonly health: "green" | "yellow" | "red"; readonly penalty: number; readonly reason: string };
  /** State-dir writes that failed since start; `failing` names the targets failing now (events,journal,flight). */
  readonly persistence?: { readonly eventsLost: number; readonly journalFailures: number; readonly failing: string };
  /** Its state directory (events.jsonl, the journal): where `hamon events --last` reads. */
  readonly stateDir?: string;
}

export type Message =
  | { type: "hello"; version: number; minVersion: number; role: Role; agent: string }
  | { type: "welcome"; version: number; server: string }
  | { type: "register"; id: number; name: string; kind: Kind; plane: Plane; pid: number; checks: CheckSpec[]; actions?: readonly string[] }
  | { type: "deregister"; id: number; reason: string }
  | { type: "report"; health: Health; reason: string }
  | { type: "confirm"; check: string; result: Health; reason: string }
  | { type: "error-report"; level: Level; reason: string }
  | { type: "query"; id: number; kind: QueryKind; check: string; action: string }
  | { type: "reply"; id: number; health: Health; detail: string }
  | { type: "command"; id: number; verb: Verb; target: string; kind: string }
  /** `more`: a result too large for one frame comes as several with the same id; all but the last say more. */
  | { type: "result"; id: number; monitor: MonitorInfo | null; components: ComponentStatus[]; detail: string; more?: boolean }
  /** `since`: first replay the events the monitor still holds (its last 1,024) numbered above it, then the live stream. */
  | { type: "subscribe"; id: number; since?: number }
  | { type: "event"; seq: number; time: number; component: string; event: string; level: string; reason: string }
  | { type: "ok"; id: number }
  | { type: "error"; id: number; code: string; message: string };

export type MessageType = Message["type"];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
