/**
 * Message dispatch for the monitor, callable without a socket: tests hand it a
 * fake `Conn` and messages. Owns the per-connection protocol state machine
 * (hello first, then by role) and the registry updates; emits events through
 * `emit` for subscribers and the log.
 */
import { SUPPORTED_VERSIONS } from "../protocol/limits.ts";
import type { ErrorCode } from "../protocol/errors.ts";
import type { Message, MessageOf, Role } from "../protocol/messages.ts";
import { VERSION } from "../version.ts";
import { Registry, type Conn, type Entry } from "./registry.ts";

export interface MonitorEvent {
  component: string;
  event: string;
  level: string;
  reason: string;
}

export interface ConnState {
  role: Role | null;
  component: Entry | null;
  subscribed: boolean;
}

export interface DispatchDeps {
  now(): number;
  emit(ev: MonitorEvent): void;
  log(level: "info" | "warn" | "error", line: string): void;
  startedAt: number;
}

/** Picks the highest version both sides speak, or 0. */
export function negotiate(min: number, max: number, ours: readonly number[] = SUPPORTED_VERSIONS): number {
  let best = 0;
  for (const v of ours) if (v >= min && v <= max && v > best) best = v;
  return best;
}

export class Dispatcher {
  readonly registry = new Registry();
  readonly subscribers = new Set<Conn>();
  private readonly states = new WeakMap<Conn, ConnState>();

  constructor(private readonly deps: DispatchDeps) {}

  open(conn: Conn): void {
    this.states.set(conn, { role: null, component: null, subscribed: false });
  }

  handle(conn: Conn, m: Message): void {
    const st = this.states.get(conn);
    if (!st) return;
    if (st.role === null) {
      if (m.type !== "hello") return this.fail(conn, 0, "E_STATE", `expected <hello> first, got <${m.type}>`, true);
      const v = negotiate(m.minVersion, m.version);
      if (v === 0) return this.fail(conn, 0, "E_VERSION", `no common protocol version: peer speaks ${m.minVersion}..${m.version}, monitor speaks ${SUPPORTED_VERSIONS.join(",")}`, true);
      st.role = m.role;
      conn.send({ type: "welcome", version: v, server: `hamon/${VERSION}` });
      return;
    }
    switch (m.type) {
      case "register": return this.register(conn, st, m);
      case "deregister": return this.deregister(conn, st, m);
      case "report": case "confirm": case "error-report": return this.componentSays(conn, st, m);
      case "command": return this.command(conn, m);
      case "subscribe":
        st.subscribed = true;
        this.subscribers.add(conn);
        conn.send({ type: "ok", id: m.id });
        return;
      case "reply": return; // replies to monitor queries: the health scheduler (monitor mode) consumes them
      default:
        return this.fail(conn, "id" in m ? m.id : 0, "E_STATE", `<${m.type}> is not a request the monitor accepts`, false);
    }
  }

  closed(conn: Conn, reason: string): void {
    const st = this.states.get(conn);
    this.subscribers.delete(conn);
    if (st?.component && st.component.conn === conn) {
      this.registry.disconnect(st.component, `connection lost: ${reason}`);
      this.deps.emit({ component: st.component.name, event: "disconnected", level: "", reason });
    }
    this.states.delete(conn);
  }

  private register(conn: Conn, st: ConnState, m: MessageOf<"register">): void {
    if (st.component && st.component.name !== m.name) {
      return this.fail(conn, m.id, "E_STATE", `this connection is already registered as '${st.component.name}'`, false);
    }
    const e = this.registry.register(conn, m, this.deps.now());
    if (!e) return this.fail(conn, m.id, "E_NAME_TAKEN", `component '${m.name}' is registered by another live connection`, false);
    st.component = e;
    conn.send({ type: "ok", id: m.id });
    this.deps.emit({ component: e.name, event: "registered", level: "", reason: `pid ${m.pid}, ${m.kind} ${m.plane}` });
  }

  private deregister(conn: Conn, st: ConnState, m: MessageOf<"deregister">): void {
    if (!st.component) return this.fail(conn, m.id, "E_STATE", "deregister before register", false);
    const name = st.component.name;
    this.registry.remove(name);
    st.component = null;
    conn.send({ type: "ok", id: m.id });
    this.deps.emit({ component: name, event: "deregistered", level: "", reason: m.reason });
  }

  private componentSays(conn: Conn, st: ConnState, m: MessageOf<"report" | "confirm" | "error-report">): void {
    const e = st.component;
    if (!e) return this.fail(conn, 0, "E_STATE", `<${m.type}> before <register>`, false);
    e.lastSeenMs = this.deps.now();
    if (m.type === "report") {
      const changed = e.health !== m.health || e.reason !== m.reason;
      e.health = m.health;
      e.reason = m.reason;
      if (changed) this.deps.emit({ component: e.name, event: `report-${m.health}`, level: "", reason: m.reason });
    } else if (m.type === "error-report") {
      this.deps.emit({ component: e.name, event: "error-report", level: m.level, reason: m.reason });
    }
  }

  private command(conn: Conn, m: MessageOf<"command">): void {
    const now = this.deps.now();
    const monitor = { pid: process.pid, version: VERSION, uptimeMs: Math.round(now - this.deps.startedAt) };
    switch (m.verb) {
      case "ping":
        conn.send({ type: "ok", id: m.id });
        return;
      case "status": case "list": case "show": {
        const picked = m.target ? [this.registry.get(m.target)].filter((e) => e !== undefined) : [...this.registry.all()];
        if (m.target && picked.length === 0) return this.fail(conn, m.id, "E_NOT_FOUND", `no component named '${m.target}'`, false);
        const components = picked.map((e) => this.registry.status(e, now)).sort((a, b) => (a.name < b.name ? -1 : 1));
        conn.send({ type: "result", id: m.id, monitor, components, detail: "" });
        return;
      }
      default:
        return this.fail(conn, m.id, "E_UNKNOWN", `verb '${m.verb}' needs the full monitor mode (not available in this build)`, false);
    }
  }

  private fail(conn: Conn, id: number, code: ErrorCode, message: string, close: boolean): void {
    conn.send({ type: "error", id, code, message });
    if (close) conn.close(`${code}: ${message}`);
  }
}
