/**
 * Message dispatch for the monitor, callable without a socket: tests hand it a
 * fake `Conn` and messages. Owns the per-connection protocol state machine
 * (hello first, then by role), a per-component rate limit, who may do what
 * (security/policy.ts), and the registry bindings; emits events through
 * `emit` (the fan-out) for subscribers and the log. What the messages mean
 * for health (checks, engine, recovery) is the hooks' business (intake.ts;
 * bare.ts for a monitor with nothing to decide); what a verb does is its
 * handler's (verbs.ts, one table).
 */
import type { After } from "./loop.ts";
import { FRAME_DEADLINE_MS, HELLO_DEADLINE_MS, MAX_SUBSCRIBER_PENDING_BYTES, SUPPORTED_VERSIONS } from "../protocol/limits.ts";
import { resultFrames } from "../protocol/codec.ts";
import type { ErrorCode } from "../protocol/errors.ts";
import type { Level, Message, MessageOf, Role } from "../protocol/messages.ts";
import { VERSION } from "../version.ts";
import type { Conn, Entry, Registry } from "./registry.ts";
import { mayRegister, mayUseVerb, OPEN_POLICY, type Policy } from "../security/policy.ts";
import { severity } from "../engine/policy.ts";
import type { LifeAction } from "../engine/lifecycle.ts";
import type { Replies, VerbRouter } from "./context.ts";
import type { PeerCred } from "../sys/peercred.ts";

import type { MonitorEvent } from "../events/event.ts";
export type { MonitorEvent };

export interface ConnState {
  role: Role | null;
  component: Entry | null;
  subscribed: boolean;
  /** Token bucket (messages), every role. */
  tokens: number;
  refilledAt: number;
  /** From the kernel at connect (SO_PEERCRED); null when the platform cannot tell. */
  cred: PeerCred | null;
  /** Refusals by policy on this connection (the first is an event and a log line, the rest a summary at close). */
  denials: number;
}

/** What each role may send; anything else is E_STATE (a client cannot register, a component cannot restart others). */
const ROLE_MESSAGES: Record<Role, ReadonlySet<string>> = {
  component: new Set(["register", "deregister", "report", "confirm", "error-report", "reply"]),
  client: new Set(["command", "subscribe"]),
  subscriber: new Set(["subscribe", "command"]),
};

/**
 * A peer may send this many messages in a burst, refilled at this rate per
 * second; beyond it, it is flooding and is cut off (reports are state changes
 * and confirms are periodic: a healthy component sends a few per second).
 * `[security] max_messages_per_second` sets the rate (burst: twice it).
 */
export const COMPONENT_BURST = 1_000;
export const COMPONENT_RATE_PER_S = 500;

/** What the monitor does with what components say (intake.ts). */
export interface MonitorHooks {
  /** `e` registered; `actions`: what its `registered` row asked (the registry applied it as it bound the connection). */
  registered(e: Entry, m: MessageOf<"register">, actions: readonly LifeAction[]): void;
  /** A component said goodbye; return true if the entry should be forgotten. */
  deregistered(e: Entry, reason: string): boolean;
  /** Runs `then` once what changed so far is on disk (one write for every caller of this turn). */
  whenJournaled(then: () => void): void;
  /** The component's connection closed; `e.conn` still names it (the hook decides what it means). */
  disconnected(e: Entry, reason: string): void;
  says(e: Entry, m: MessageOf<"report" | "confirm" | "error-report" | "reply">): void;
}

export interface DispatchDeps {
  readonly registry: Registry;
  readonly hooks: MonitorHooks;
  /** Every verb (verbs.ts). */
  readonly verbs: VerbRouter;
  now(): number;
  emit(ev: MonitorEvent): void;
  log(level: "info" | "warn" | "error", line: string): void;
  /** The most a component may recommend (its max_recommend): above it, the recommendation is refused (E_DENIED, once per connection). */
  maxRecommend(name: string): Level;
  /** Per-connection rate limit; default COMPONENT_BURST / COMPONENT_RATE_PER_S. */
  rate?: { burst: number; perSecond: number };
  /** Who may do what (src/security/policy.ts); default: everything allowed. */
  policy?: Policy;
  /** The loop's timer (loop.ts): the monitor's one clock. */
  after: After;
  /** The events still held numbered above `seq`, oldest first (recent.ts), for a subscribe with `since`. */
  replay?(seq: number, visit: (ev: MessageOf<"event">) => void): void;
}

/** Picks the highest version both sides speak, or 0. */
export function negotiate(min: number, max: number, ours: readonly number[] = SUPPORTED_VERSIONS): number {
  let best = 0;
  for (const v of ours) if (v >= min && v <= max && v > best) best = v;
  return best;
}

export class Dispatcher implements Replies {
  readonly registry: Registry;
  readonly subscribers = new Set<Conn>();
  private readonly states = new WeakMap<Conn, ConnState>();
  private readonly hooks: MonitorHooks;

  constructor(private readonly deps: DispatchDeps) {
    this.registry = deps.registry;
    this.hooks = deps.hooks;
  }

  open(conn: Conn, cred: PeerCred | null = null): void {
    this.states.set(conn, { role: null, component: null, subscribed: false, tokens: this.deps.rate?.burst ?? COMPONENT_BURST, refilledAt: this.deps.now(), cred, denials: 0 });
  }

  /** "uid U gid G pid P" of a connection, for events and logs ("uid ?" when the platform cannot tell). */
  who(conn: Conn): string {
    const c = this.states.get(conn)?.cred;
    return c ? `uid ${c.uid} gid ${c.gid} pid ${c.pid}` : "uid ? (no peer credentials)";
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
    if (!this.spend(st)) {
      const r = this.deps.rate ?? { burst: COMPONENT_BURST, perSecond: COMPONENT_RATE_PER_S };
      const why = `flooding: more than ${r.burst} messages in a burst or ${r.perSecond}/s sustained`;
      this.deps.emit({ component: st.component?.name ?? "", event: "peer-limit", level: "", reason: `${this.who(conn)} cut off: ${why}` });
      return this.fail(conn, 0, "E_LIMIT", why, true);
    }
    if (!ROLE_MESSAGES[st.role].has(m.type)) return this.fail(conn, "id" in m ? m.id : 0, "E_STATE", `a ${st.role} connection cannot send <${m.type}>`, false);
    switch (m.type) {
      case "register": return this.register(conn, st, m);
      case "deregister": return this.deregister(conn, st, m);
      case "report": case "confirm": case "error-report": case "reply": return this.componentSays(conn, st, m);
      case "command": return this.command(conn, st, m);
      case "subscribe": {
        const no = mayUseVerb(this.policy, st.cred, "list");
        if (no) return this.deny(conn, st, m.id, "", "subscribe", no);
        st.subscribed = true;
        conn.limitPending?.(MAX_SUBSCRIBER_PENDING_BYTES);
        conn.send({ type: "ok", id: m.id });
        // Replayed, then live, in this one turn: no event falls between the two or comes twice.
        if (m.since !== undefined) this.deps.replay?.(m.since, (ev) => conn.send(ev));
        this.subscribers.add(conn);
        return;
      }
      default:
        return this.fail(conn, "id" in m ? m.id : 0, "E_STATE", `<${m.type}> is not a request the monitor accepts`, false);
    }
  }

  closed(conn: Conn, reason: string): void {
    const st = this.states.get(conn);
    if (st && st.denials > 1) this.deps.log("warn", `${this.who(conn)} closed after ${st.denials} refusals by policy (the first is the 'denied' event)`);
    this.subscribers.delete(conn);
    if (st?.component && st.component.conn === conn) {
      this.deps.emit({ component: st.component.name, event: "disconnected", level: "", reason });
      this.hooks.disconnected(st.component, reason);
    } else if (st && st.role !== null && st.role !== "component" && reason.startsWith("peer is not reading")) {
      this.dropped(st, conn, reason);
    }
    this.states.delete(conn);
  }

  /**
   * A client or subscriber cut off for not reading: one event (and log line)
   * per second at most, naming the first and counting the rest, so dropping
   * 500 stalled subscribers is not 500 events.
   */
  private dropped(st: ConnState, conn: Conn, reason: string): void {
    if (this.drops.n++ === 0) {
      this.drops.first = `${st.subscribed ? "subscriber" : st.role} ${this.who(conn)}: ${reason}`;
      this.deps.after(1_000, () => {
        const n = this.drops.n;
        this.drops.n = 0;
        this.deps.emit({ component: "", event: "subscriber-dropped", level: "", reason: `${n} peer(s) cut off for not reading; first: ${this.drops.first}` });
      });
    }
  }
  private readonly drops = { n: 0, first: "" };

  /**
   * Closes connections that never said hello, or left a frame incomplete,
   * past their deadline (HELLO_DEADLINE_MS, FRAME_DEADLINE_MS): a peer that
   * connects and goes quiet, or trickles a byte a second, holds a descriptor.
   * Called about once a second by the server while a peer has one of these
   * deadlines running; true if this one still has (sweep it again).
   */
  sweep(conn: Conn, openedAt: number, partialSince: number, now: number): boolean {
    const st = this.states.get(conn);
    if (!st) return false;
    if (st.role === null && now - openedAt > HELLO_DEADLINE_MS) {
      this.fail(conn, 0, "E_TIMEOUT", `no <hello> within ${HELLO_DEADLINE_MS} ms of connecting`, true);
      return false;
    } else if (partialSince >= 0 && now - partialSince > FRAME_DEADLINE_MS) {
      this.fail(conn, 0, "E_TIMEOUT", `a frame was left incomplete for more than ${FRAME_DEADLINE_MS} ms`, true);
      return false;
    }
    return st.role === null || partialSince >= 0;
  }

  private register(conn: Conn, st: ConnState, m: MessageOf<"register">): void {
    if (st.component && st.component.name !== m.name) {
      return this.fail(conn, m.id, "E_STATE", `this connection is already registered as '${st.component.name}'`, false);
    }
    const no = mayRegister(this.policy, st.cred, m.name);
    if (no) return this.deny(conn, st, m.id, m.name, `register '${m.name}'`, no);
    const r = this.registry.register(conn, m, this.deps.now());
    if (!r) return this.fail(conn, m.id, "E_NAME_TAKEN", `component '${m.name}' is registered by another live connection`, false);
    const e = r.e;
    st.component = e;
    conn.send({ type: "ok", id: m.id });
    this.deps.emit({ component: e.name, event: "registered", level: "", reason: `pid ${m.pid}, ${m.kind} ${m.plane}; peer ${this.who(conn)}` });
    this.hooks.registered(e, m, r.actions);
  }

  private deregister(conn: Conn, st: ConnState, m: MessageOf<"deregister">): void {
    if (!st.component) return this.fail(conn, m.id, "E_STATE", "deregister before register", false);
    const e = st.component;
    st.component = null;
    e.conn = null;
    if (this.hooks.deregistered(e, m.reason)) this.registry.remove(e.name);
    // The ok promises a durable goodbye: a monitor killed right after must not await it again.
    const ack = () => {
      conn.send({ type: "ok", id: m.id });
      this.deps.emit({ component: e.name, event: "deregistered", level: "", reason: m.reason });
    };
    this.hooks.whenJournaled(ack);
  }

  private componentSays(conn: Conn, st: ConnState, m: MessageOf<"report" | "confirm" | "error-report" | "reply">): void {
    const e = st.component;
    if (!e) {
      if (m.type === "reply") return; // a reply from an unregistered peer answers nothing
      return this.fail(conn, 0, "E_STATE", `<${m.type}> before <register>`, false);
    }
    e.lastSeenMs = this.deps.now();
    // A recommendation above max_recommend is still evidence of a failure (the engine caps it), but the recommendation
    // itself is refused: told once per connection (protocol.md §5.1), so a component that keeps recommending too high is not answered each time.
    if (m.type === "error-report" && !conn.cappedTold) {
      const max = this.deps.maxRecommend(e.name);
      if (severity(m.level) > severity(max)) {
        conn.cappedTold = true;
        this.deny(conn, st, 0, e.name, `recommend ${m.level}`, `'${e.name}' may recommend at most ${max} (max_recommend)`);
      }
    }
    this.hooks.says(e, m);
  }

  private command(conn: Conn, st: ConnState, m: MessageOf<"command">): void {
    const no = mayUseVerb(this.policy, st.cred, m.verb);
    if (no) return this.deny(conn, st, m.id, m.target, `${m.verb}${m.target ? ` ${m.target}` : ""}`, no);
    this.deps.verbs({ conn, m, now: this.deps.now(), replies: this });
  }

  /** Token bucket: false when the component has no message left to spend. */
  private spend(st: ConnState): boolean {
    const now = this.deps.now();
    const burst = this.deps.rate?.burst ?? COMPONENT_BURST;
    st.tokens = Math.min(burst, st.tokens + ((now - st.refilledAt) * (this.deps.rate?.perSecond ?? COMPONENT_RATE_PER_S)) / 1000);
    st.refilledAt = now;
    if (st.tokens < 1) return false;
    st.tokens -= 1;
    return true;
  }

  /** Sends a result, in several frames (`more`) when it does not fit in one (protocol §5.3). */
  sendResult(conn: Conn, m: MessageOf<"result">): void {
    for (const f of resultFrames(m)) if (!conn.send(f)) return;
  }

  private get policy(): Policy {
    return this.deps.policy ?? OPEN_POLICY;
  }

  /**
   * A refusal by policy: E_DENIED to the peer; the first one on a connection
   * is also an event and a warning naming the peer (uid, pid), the others are
   * counted and summarised when it closes, so a peer cannot flood the log.
   */
  deny(conn: Conn, st: ConnState | undefined, id: number, component: string, what: string, why: string): void {
    const s = st ?? this.states.get(conn);
    if (s && s.denials++ === 0) {
      this.deps.emit({ component, event: "denied", level: "", reason: `${what} by ${this.who(conn)}: ${why}` });
    }
    this.fail(conn, id, "E_DENIED", why, false);
  }

  fail(conn: Conn, id: number, code: ErrorCode, message: string, close: boolean): void {
    conn.send({ type: "error", id, code, message });
    if (close) conn.close(`${code}: ${message}`);
  }
}
