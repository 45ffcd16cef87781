/**
 * The monitor's view of every component: declared ones (config), registered
 * ones (socket), dynamic ones (activated or not). Plain data plus small
 * mutators; no I/O, no clock (callers pass `now`, monotonic milliseconds).
 * Entries live in an array too: their index is the owner id the check table
 * uses, and the tick loop walks the array without allocating an iterator.
 */
import type { ComponentConfig } from "../config/config.ts";
import { lifecycle, NEW_LIFE, type Life, type LifeAction, type LifeEvent, type LifeState } from "../engine/lifecycle.ts";
import type { CheckSpec, ComponentStatus, Kind, Plane } from "../protocol/messages.ts";

export interface Conn {
  send(m: import("../protocol/messages.ts").Message): boolean;
  close(reason: string): void;
  /** An already framed message (the event fan-out encodes once for every subscriber). */
  sendFrame?(frame: Uint8Array): boolean;
  /** Lowers the bytes this connection may have queued before it is cut off. */
  limitPending?(bytes: number): void;
  /** Set once this connection was told its recommendations are capped (E_DENIED is sent once per connection, protocol.md §5.1). */
  cappedTold?: boolean;
}

export type { LifeState };

/**
 * A component as the monitor knows it. Its standing (state, health, reason,
 * deadlines, what it reported, whether it is active) is a `Life`, read-only
 * here: it changes only through `Registry.apply` and the pure lifecycle table
 * (src/engine/lifecycle.ts).
 */
export interface Entry extends Life {
  readonly name: string;
  readonly index: number;
  kind: Kind;
  plane: Plane;
  checks: CheckSpec[];
  /** Actions it carries out on request (`register actions=`): a sidecar owning its daemon says "restart stop". */
  actions: readonly string[];
  conn: Conn | null;
  lastSeenMs: number;
  /** From the configuration; null for a component that just registered. */
  declared: ComponentConfig | null;
  /** Check-table slots of this component while it is registered. */
  slots: number[];
}

/**
 * Its reason, and what comes next when something waits: a restart delayed by
 * the backoff, a failure raised again after the grace period; and whether it
 * is flapping. Computed when asked, so the time left is always current.
 */
function withOutlook(e: Entry, now: number): string {
  const waits = e.nextAttemptMs !== Infinity || (e.state === "down" && e.active && e.refailAtMs !== Infinity);
  if (!waits && e.flappingUntilMs === Infinity) return e.reason;
  const parts: string[] = e.reason ? [e.reason] : [];
  if (e.nextAttemptMs !== Infinity) parts.push(`next attempt in ${seconds(e.nextAttemptMs - now)} (backoff)`);
  else if (waits) parts.push(`looked at again in ${seconds(e.refailAtMs - now)} (after the grace period)`);
  if (e.flappingUntilMs !== Infinity) parts.push("flapping");
  return parts.join("; ");
}

function seconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

export class Registry {
  private readonly byName = new Map<string, Entry>();

  /** The one way an entry's standing changes: one row of the lifecycle table; returns what the caller must do. */
  apply(e: Entry, ev: LifeEvent, now: number): readonly LifeAction[] {
    const r = lifecycle(e, ev, now);
    if (r.life !== e) Object.assign(e as Life, r.life); // an unchanged life (most answers) is the entry itself
    return r.actions;
  }
  /** Whether a component is quarantined: the engine's state is the one place that says so (set by the core). */
  quarantinedOf: (name: string) => boolean = () => false;
  /** How long its process has run, for a daemon that never registers (set by the core; null: AGE is the time since it last spoke). */
  processAgeOf: (e: Entry) => number | null = () => null;
  /** Every entry ever created, by index; removed ones are null. */
  readonly list: (Entry | null)[] = [];

  get(name: string): Entry | undefined {
    return this.byName.get(name);
  }

  at(index: number): Entry | null {
    return this.list[index] ?? null;
  }

  all(): IterableIterator<Entry> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /** Creates (or returns) the entry for `name`. */
  ensure(name: string, init: { kind: Kind; plane: Plane; declared?: ComponentConfig | null; state?: LifeState }): Entry {
    const prev = this.byName.get(name);
    if (prev) return prev;
    const e: Entry = {
      ...NEW_LIFE, state: init.state ?? "starting",
      name, index: this.list.length, kind: init.kind, plane: init.plane, checks: [], actions: [],
      conn: null, lastSeenMs: -1, declared: init.declared ?? null, slots: [],
    };
    this.list.push(e);
    this.byName.set(name, e);
    return e;
  }

  /**
   * Binds `name` to `conn` and applies the `registered` row; returns the entry
   * and what the row asks (the `ready` event after a start by hamon: the
   * monitor's intake carries it out). Null when a different live connection
   * holds the name.
   */
  register(conn: Conn, r: { name: string; kind: Kind; plane: Plane; pid: number; checks: CheckSpec[]; actions?: readonly string[] }, now: number): { e: Entry; actions: readonly LifeAction[] } | null {
    const prev = this.byName.get(r.name);
    if (prev && prev.conn && prev.conn !== conn) return null;
    const e = prev ?? this.ensure(r.name, { kind: r.kind, plane: r.plane });
    // A declared component keeps its declared kind and plane: the config is the authority.
    if (!e.declared) {
      e.kind = r.kind;
      e.plane = r.plane;
    }
    Object.assign(e, { checks: r.checks, actions: r.actions ?? [], conn, lastSeenMs: now });
    return { e, actions: this.apply(e, { type: "registered", pid: r.pid }, now) };
  }

  /**
   * The connection went away: the component is known but down. A failure the
   * component reported just before (a sidecar's "killed by SIGKILL") is better
   * evidence than the disconnect itself, so it is kept.
   */
  disconnect(e: Entry, reason: string, now: number): void {
    e.conn = null;
    this.apply(e, { type: "lost", reason }, now);
  }

  remove(name: string): void {
    const e = this.byName.get(name);
    if (!e) return;
    this.byName.delete(name);
    this.list[e.index] = null;
  }

  status(e: Entry, now: number): ComponentStatus {
    return {
      name: e.name, kind: e.kind, plane: e.plane, state: e.held ? "held" : this.quarantinedOf(e.name) ? "quarantined" : e.state, health: e.health, reason: withOutlook(e, now),
      pid: e.state === "down" || e.held ? 0 : e.pid, ageMs: this.processAgeOf(e) ?? (e.lastSeenMs < 0 ? -1 : Math.max(0, Math.round(now - e.lastSeenMs))), restarts: e.restarts,
    };
  }
}
