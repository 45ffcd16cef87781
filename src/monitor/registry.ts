/**
 * The monitor's view of every component: who registered, over which
 * connection, what it last said. Plain data plus small mutators; no I/O, no
 * clock (callers pass `now`, monotonic milliseconds).
 */
import type { CheckSpec, ComponentStatus, Health, Kind, Plane } from "../protocol/messages.ts";

export interface Conn {
  send(m: import("../protocol/messages.ts").Message): boolean;
  close(reason: string): void;
}

export interface Entry {
  readonly name: string;
  kind: Kind;
  plane: Plane;
  pid: number;
  checks: CheckSpec[];
  /** up = registered and connected; down = known but gone. */
  state: "up" | "down";
  health: Health;
  reason: string;
  conn: Conn | null;
  lastSeenMs: number;
  registrations: number;
  restarts: number;
}

export class Registry {
  private readonly byName = new Map<string, Entry>();

  get(name: string): Entry | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<Entry> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /** Binds `name` to `conn`. Returns null when a different live connection holds the name. */
  register(conn: Conn, r: { name: string; kind: Kind; plane: Plane; pid: number; checks: CheckSpec[] }, now: number): Entry | null {
    const prev = this.byName.get(r.name);
    if (prev && prev.conn && prev.conn !== conn) return null;
    const e: Entry = prev ?? {
      name: r.name, kind: r.kind, plane: r.plane, pid: r.pid, checks: r.checks, state: "up",
      health: "ok", reason: "", conn, lastSeenMs: now, registrations: 0, restarts: 0,
    };
    Object.assign(e, { kind: r.kind, plane: r.plane, pid: r.pid, checks: r.checks, state: "up", conn, lastSeenMs: now, health: "ok", reason: "" });
    e.registrations++;
    this.byName.set(r.name, e);
    return e;
  }

  /**
   * The connection went away: the component is known but down. A failure the
   * component reported just before (a sidecar's "killed by SIGKILL") is better
   * evidence than the disconnect itself, so it is kept.
   */
  disconnect(e: Entry, reason: string): void {
    const lastWords = e.health === "failed" && e.reason ? e.reason : "";
    e.conn = null;
    e.state = "down";
    e.health = "failed";
    e.reason = lastWords ? `${lastWords}; then ${reason}` : reason;
  }

  remove(name: string): void {
    this.byName.delete(name);
  }

  status(e: Entry, now: number): ComponentStatus {
    return {
      name: e.name, kind: e.kind, plane: e.plane, state: e.state, health: e.health, reason: e.reason,
      pid: e.pid, ageMs: Math.max(0, Math.round(now - e.lastSeenMs)), restarts: e.restarts,
    };
  }
}
