/**
 * Every verb the monitor serves, one handler per name in one table (as
 * citty's subCommands and hono's router map a name to one handler): the
 * read-only ones (ping, status, list, show) and the ones that change things
 * (restart: clears a quarantine and restarts; activate and deactivate:
 * dynamic components; stop and start: an operator's hold; query: ask a
 * component now, relay the answer). The
 * dispatcher checks who may use a verb (security/policy.ts), then routes the
 * call here; an unknown verb is E_UNKNOWN.
 */
import type { EngineEvent } from "../engine/decide.ts";
import { MAX_RECENT } from "../protocol/codec.ts";
import { formatAnswer } from "../protocol/answer.ts";
import type { CheckStatus, ComponentCounters, ComponentStatus, CoreStatus, MonitorInfo, QueryKind } from "../protocol/messages.ts";
import { QUERY_KINDS } from "../protocol/messages.ts";
import type { AdHocQueries } from "./adhoc.ts";
import { dropChecks } from "./check-slots.ts";
import type { CheckTable } from "./checks.ts";
import type { VerbCall, VerbRouter } from "./context.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { Lives } from "./life.ts";
import type { RecentEvents } from "./recent.ts";
import type { Entry, Registry } from "./registry.ts";

/** A relayed query gets this long. */
export const QUERY_TIMEOUT_MS = 5_000;

export type VerbHandler = (call: VerbCall) => void;

/** What the read-only verbs read. */
export interface ReadVerbDeps {
  readonly registry: Registry;
  /** The last events of every component (`show`). */
  readonly recent: RecentEvents;
  monitorInfo(now: number): MonitorInfo;
  /** A fast path's cores, for status/show of that one component; null for other components. */
  coresOf(name: string): CoreStatus[] | null;
  /** `show NAME`: what the engine remembers of it and its checks with recent samples. */
  detailOf(name: string, now: number): { counters: ComponentCounters; checks: CheckStatus[] } | null;
}

/** What the verbs that change things use. */
export interface VerbDeps extends ReadVerbDeps {
  readonly lives: Lives;
  /** The executor's operations (actions.ts). */
  readonly effects: { perform(level: "restart-daemon", name: string, reason: string): void; delegateStop(e: Entry, why: string): Promise<void> };
  readonly adhoc: AdHocQueries;
  readonly checks: CheckTable;
  /** `reload`: the configuration read again and applied (reload.ts). */
  reload(): { ok: true; summary: string } | { ok: false; errors: string[] };
  now(): number;
  feed(ev: EngineEvent): void;
  emit(ev: MonitorEvent): void;
  markJournal(): void;
}

/** The read-only verbs: what a monitor with nothing to decide (monitor/bare.ts) serves too. */
export function readVerbs(d: ReadVerbDeps): Map<string, VerbHandler> {
  const rows: VerbHandler = ({ conn, m, now, replies }) => {
    const picked = m.target ? [d.registry.get(m.target)].filter((e) => e !== undefined) : [...d.registry.all()];
    if (m.target && picked.length === 0) return replies.fail(conn, m.id, "E_NOT_FOUND", `no component named '${m.target}'`, false);
    const components = picked.map((e) => {
      const st = d.registry.status(e, now);
      const cores = m.target ? d.coresOf(e.name) : null;
      const withCores = cores ? { ...st, cores } : st;
      return m.verb === "show" ? detail(d, withCores, now) : withCores;
    }).sort((a, b) => (a.name < b.name ? -1 : 1));
    replies.sendResult(conn, { type: "result", id: m.id, monitor: d.monitorInfo(now), components, detail: "" });
  };
  return new Map<string, VerbHandler>([
    ["ping", ({ conn, m }) => void conn.send({ type: "ok", id: m.id })],
    ["status", rows],
    ["list", rows],
    ["show", rows],
  ]);
}

/** Every verb. */
export function allVerbs(d: VerbDeps): Map<string, VerbHandler> {
  const verbs = readVerbs(d);
  verbs.set("restart", (call) => restart(d, call));
  verbs.set("activate", (call) => activate(d, call));
  verbs.set("deactivate", (call) => deactivate(d, call));
  verbs.set("query", (call) => query(d, call));
  verbs.set("reload", ({ conn, m, replies, now }) => {
    const r = d.reload();
    if (!r.ok) return replies.fail(conn, m.id, "E_INVALID", `configuration not reloaded (nothing changed): ${r.errors.join("; ")}`, false);
    replies.sendResult(conn, { type: "result", id: m.id, monitor: d.monitorInfo(now), components: [], detail: `reloaded: ${r.summary}` });
  });
  verbs.set("stop", (call) => hold(d, call));
  verbs.set("start", (call) => release(d, call));
  return verbs;
}

/** Routes a call to its verb's handler. */
export function routeVerbs(verbs: ReadonlyMap<string, VerbHandler>): VerbRouter {
  return (call) => {
    const h = verbs.get(call.m.verb);
    if (h) return h(call);
    call.replies.fail(call.conn, call.m.id, "E_UNKNOWN", `verb '${call.m.verb}' is not served by this monitor (it serves ${[...verbs.keys()].join(", ")})`, false);
  };
}

/** `show`: the row plus counters, checks with recent samples, and recent events. */
function detail(d: ReadVerbDeps, st: ComponentStatus, now: number): ComponentStatus {
  const x = d.detailOf(st.name, now);
  const recent = d.recent.of(st.name, MAX_RECENT);
  return { ...st, ...(x ? { counters: x.counters, checks: x.checks } : {}), ...(recent.length ? { recent } : {}) };
}

function restart(d: VerbDeps, call: VerbCall): void {
  const { conn, m, replies } = call;
  const e = target(d, call);
  if (!e) return;
  if (!e.active) return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is deactivated: activate it instead`, false);
  if (e.held) return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is held by an operator: 'hamon start ${e.name}' ends the hold`, false);
  const was = d.registry.quarantinedOf(e.name) ? " (quarantine cleared)" : "";
  d.feed({ type: "operator-reset", component: e.name }); // the engine forgets the history, quarantine included
  d.emit({ component: e.name, event: "operator-restart", level: "restart-daemon", reason: `requested by ${replies.who(conn)}${was}` });
  d.effects.perform("restart-daemon", e.name, "operator request");
  result(d, call, e.name, `restart of '${e.name}' requested${was}`);
}

function activate(d: VerbDeps, call: VerbCall): void {
  const { conn, m, replies } = call;
  if (!m.target) return replies.fail(conn, m.id, "E_INVALID", "activate needs a component name", false);
  const e = d.registry.get(m.target) ?? d.registry.ensure(m.target, { kind: "dynamic", plane: "control", state: "inactive" });
  if (e.kind !== "dynamic") return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is static: it is always active`, false);
  if (e.active && e.registrations > 0 && e.conn) return result(d, call, e.name, `'${e.name}' is already active`);
  d.lives.apply(e, { type: "activated" });
  d.emit({ component: e.name, event: "activated", level: "", reason: `by ${replies.who(conn)}` });
  if (e.conn) d.lives.apply(e, { type: "present", reason: "" });
  else if (e.declared?.start) d.lives.spawn(e, "activated");
  else d.lives.expect(e, call.now, "activated: waiting for it to register");
  d.markJournal();
  result(d, call, e.name, `'${e.name}' activated`);
}

function deactivate(d: VerbDeps, call: VerbCall): void {
  const { conn, m, replies } = call;
  const e = target(d, call);
  if (!e) return;
  if (e.kind !== "dynamic") return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is static: it cannot be deactivated`, false);
  dropChecks(d.checks, e);
  d.lives.apply(e, { type: "deactivated", reason: "deactivated" });
  d.emit({ component: e.name, event: "deactivated", level: "", reason: `by ${replies.who(conn)}` });
  if (e.declared?.start) void d.lives.stop(e, "deactivated");
  else if (e.conn) void d.effects.delegateStop(e, "deactivated");
  d.markJournal();
  result(d, call, e.name, `'${e.name}' deactivated`);
}

/** `stop NAME`: an operator's hold (maintenance): stopped if hamon owns it, not watched, not a failure, until `start NAME`. */
function hold(d: VerbDeps, call: VerbCall): void {
  const { conn, m, replies } = call;
  const e = target(d, call);
  if (!e) return;
  if (!e.active) return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is deactivated: there is nothing to hold`, false);
  if (e.held) return result(d, call, e.name, `'${e.name}' is already held`);
  const who = replies.who(conn);
  d.emit({ component: e.name, event: "held", level: "", reason: `by ${who}` });
  // Answered once it is stopped (a daemon hamon owns) or at once: the operator's next step (swap its certificates) may need it gone.
  void d.lives.hold(e, `by ${who}`).then(() => result(d, call, e.name, `'${e.name}' held${e.declared?.start ? " (stopped)" : " (not watched)"}: 'hamon start ${e.name}' ends the hold`));
}

/** `start NAME`: the hold ends; a daemon hamon owns is started, another is expected back. */
function release(d: VerbDeps, call: VerbCall): void {
  const { conn, m, replies } = call;
  const e = target(d, call);
  if (!e) return;
  if (!e.held) return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is not held (${e.state}): 'hamon restart ${e.name}' restarts it`, false);
  d.emit({ component: e.name, event: "released", level: "", reason: `by ${replies.who(conn)}` });
  d.lives.release(e, `by ${replies.who(conn)}`);
  result(d, call, e.name, `'${e.name}' released`);
}

function query(d: VerbDeps, call: VerbCall): void {
  const { conn, m, replies } = call;
  const e = target(d, call);
  if (!e) return;
  const kind = (m.kind || "health") as QueryKind;
  if (!QUERY_KINDS.includes(kind)) return replies.fail(conn, m.id, "E_INVALID", `query kind must be ${QUERY_KINDS.join("|")}, got '${m.kind}'`, false);
  if (!e.conn) return replies.fail(conn, m.id, "E_STATE", `'${e.name}' is not connected (${e.state})`, false);
  void d.adhoc.ask(e.conn, kind, "", QUERY_TIMEOUT_MS).then((a) => {
    if (a) result(d, call, e.name, formatAnswer(a.health, a.detail));
    else replies.fail(conn, m.id, "E_TIMEOUT", `'${e.name}' did not answer the ${kind} query within ${QUERY_TIMEOUT_MS} ms`, false);
  });
}

/** The named component, or null after answering E_NOT_FOUND. */
function target(d: VerbDeps, { conn, m, replies }: VerbCall): Entry | null {
  const e = d.registry.get(m.target);
  if (!e) replies.fail(conn, m.id, "E_NOT_FOUND", `no component named '${m.target}'`, false);
  return e ?? null;
}

function result(d: VerbDeps, { conn, m, replies }: VerbCall, name: string, detail: string): void {
  const e = d.registry.get(name);
  const now = d.now(); // not the call's: a relayed query answers later
  replies.sendResult(conn, { type: "result", id: m.id, monitor: d.monitorInfo(now), components: e ? [d.registry.status(e, now)] : [], detail });
}
