/**
 * The verbs that change things, for operators and the management system:
 * restart (operator: clears a quarantine and restarts), activate and
 * deactivate (dynamic components), query (ask a component now, relay the
 * answer). The read-only verbs (ping, status, list, show) are the
 * dispatcher's.
 */
import type { MessageOf, QueryKind } from "../protocol/messages.ts";
import { QUERY_KINDS } from "../protocol/messages.ts";
import type { VerbsContext } from "./context.ts";
import { formatAnswer } from "../protocol/answer.ts";
import type { Conn, Entry } from "./registry.ts";

/** A relayed query gets this long. */
export const QUERY_TIMEOUT_MS = 5_000;

export class Verbs {
  constructor(private readonly core: VerbsContext) {}

  command(conn: Conn, m: MessageOf<"command">): boolean {
    switch (m.verb) {
      case "restart": this.restart(conn, m); return true;
      case "activate": this.activate(conn, m); return true;
      case "deactivate": this.deactivate(conn, m); return true;
      case "query": this.query(conn, m); return true;
      default: return false;
    }
  }

  private restart(conn: Conn, m: MessageOf<"command">): void {
    const c = this.core;
    const e = this.target(conn, m);
    if (!e) return;
    if (!e.active) return c.replies.fail(conn, m.id, "E_STATE", `'${e.name}' is deactivated: activate it instead`, false);
    const was = c.registry.quarantinedOf(e.name) ? " (quarantine cleared)" : "";
    c.feed({ type: "operator-reset", component: e.name }); // the engine forgets the history, quarantine included
    c.emit({ component: e.name, event: "operator-restart", level: "restart-daemon", reason: `requested by ${c.replies.who(conn)}${was}` });
    c.effects.perform("restart-daemon", e.name, "operator request");
    this.result(conn, m.id, e.name, `restart of '${e.name}' requested${was}`);
  }

  private activate(conn: Conn, m: MessageOf<"command">): void {
    const c = this.core;
    if (!m.target) return c.replies.fail(conn, m.id, "E_INVALID", "activate needs a component name", false);
    const e = c.registry.get(m.target) ?? c.registry.ensure(m.target, { kind: "dynamic", plane: "control", state: "inactive" });
    if (e.kind !== "dynamic") return c.replies.fail(conn, m.id, "E_STATE", `'${e.name}' is static: it is always active`, false);
    if (e.active && e.registrations > 0 && e.conn) return this.result(conn, m.id, e.name, `'${e.name}' is already active`);
    c.life(e, { type: "activated" });
    c.emit({ component: e.name, event: "activated", level: "", reason: `by ${c.replies.who(conn)}` });
    if (e.conn) c.life(e, { type: "present", reason: "" });
    else if (e.declared?.start) c.effects.spawn(e, "activated");
    else c.expect(e, c.now(), "activated: waiting for it to register");
    c.markJournal();
    this.result(conn, m.id, e.name, `'${e.name}' activated`);
  }

  private deactivate(conn: Conn, m: MessageOf<"command">): void {
    const c = this.core;
    const e = this.target(conn, m);
    if (!e) return;
    if (e.kind !== "dynamic") return c.replies.fail(conn, m.id, "E_STATE", `'${e.name}' is static: it cannot be deactivated`, false);
    c.dropChecks(e);
    c.life(e, { type: "deactivated", reason: "deactivated" });
    c.emit({ component: e.name, event: "deactivated", level: "", reason: `by ${c.replies.who(conn)}` });
    if (e.declared?.start) void c.effects.stopOwned(e, "deactivated");
    else if (e.conn) void c.effects.delegateStop(e, "deactivated");
    c.markJournal();
    this.result(conn, m.id, e.name, `'${e.name}' deactivated`);
  }

  private query(conn: Conn, m: MessageOf<"command">): void {
    const c = this.core;
    const e = this.target(conn, m);
    if (!e) return;
    const kind = (m.kind || "health") as QueryKind;
    if (!QUERY_KINDS.includes(kind)) return c.replies.fail(conn, m.id, "E_INVALID", `query kind must be ${QUERY_KINDS.join("|")}, got '${m.kind}'`, false);
    if (!e.conn) return c.replies.fail(conn, m.id, "E_STATE", `'${e.name}' is not connected (${e.state})`, false);
    void c.adhoc.ask(e.conn, kind, "", QUERY_TIMEOUT_MS).then((a) => {
      if (a) this.result(conn, m.id, e.name, formatAnswer(a.health, a.detail));
      else c.replies.fail(conn, m.id, "E_TIMEOUT", `'${e.name}' did not answer the ${kind} query within ${QUERY_TIMEOUT_MS} ms`, false);
    });
  }

  /** The named component, or null after answering E_NOT_FOUND. */
  private target(conn: Conn, m: MessageOf<"command">): Entry | null {
    const e = this.core.registry.get(m.target);
    if (!e) this.core.replies.fail(conn, m.id, "E_NOT_FOUND", `no component named '${m.target}'`, false);
    return e ?? null;
  }

  private result(conn: Conn, id: number, name: string, detail: string): void {
    const c = this.core;
    const e = c.registry.get(name);
    const now = c.now();
    c.replies.sendResult(conn, { type: "result", id, monitor: c.replies.monitorInfo(now), components: e ? [c.registry.status(e, now)] : [], detail });
  }
}
