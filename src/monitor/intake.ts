/**
 * What the monitor hears: what components say (the dispatcher's hooks:
 * registered, deregistered, disconnected, reports, confirms, error reports,
 * replies) and what the check schedule sees (the check table's sink: a query
 * to send, a check that changed state). Each becomes a row of the lifecycle
 * table (through the life room) and, where it is evidence, an engine event.
 */
import type { EngineEvent } from "../engine/decide.ts";
import type { LifeAction } from "../engine/lifecycle.ts";
import type { ProcessControl } from "../process/control.ts";
import type { Supervisor } from "../process/supervisor.ts";
import type { Health, MessageOf } from "../protocol/messages.ts";
import type { AdHocQueries } from "./adhoc.ts";
import { armOfferedChecks, checksFailing, dropChecks, runOf, slotOf } from "./check-slots.ts";
import type { CheckSink, CheckTable } from "./checks.ts";
import type { MonitorEvent, MonitorHooks } from "./dispatch.ts";
import type { Lives } from "./life.ts";
import { PlainChecks } from "./plain.ts";
import { Stalls } from "./stalls.ts";
import type { After } from "./loop.ts";
import type { Entry, Registry } from "./registry.ts";

export interface IntakeDeps {
  readonly registry: Registry;
  readonly checks: CheckTable;
  readonly lives: Lives;
  readonly adhoc: AdHocQueries;
  readonly control: ProcessControl;
  readonly sup: Supervisor;
  now(): number;
  emit(ev: MonitorEvent): void;
  /** The engine's input (recovery.ts). */
  feed(ev: EngineEvent): void;
  reschedule(now: number): void;
  readonly journal: { mark(): void; whenWritten(then: () => void): void };
  /** Discovery's bookkeeping: `name` is back (rediscovery.ts). */
  arrived(name: string, now: number): void;
  /** Whether the engine has a record of `name` (an ok answer is news only then). */
  known(name: string): boolean;
  /** A check's own deadline ran late: the monitor or the machine stalled (recovery.ts). */
  starved(lateMs: number): void;
  /** The loop's timer (a busy-or-hung look: stalls.ts). */
  readonly after: After;
}

export class Intake implements MonitorHooks, CheckSink {
  private readonly plain: PlainChecks;
  private readonly stalls: Stalls;

  constructor(private readonly d: IntakeDeps) {
    this.stalls = new Stalls({ checks: d.checks, after: d.after, now: d.now, apply: (e, ev, now) => d.lives.apply(e, ev, now) });
    this.plain = new PlainChecks({
      checks: d.checks, sink: this, now: d.now, reschedule: d.reschedule, starved: d.starved,
      answer: (e, h, detail) => this.noteHealth(e, h, detail),
      ready: (e, now, why) => d.lives.ready(e, now, why),
    });
  }

  // ---- the dispatcher's hooks ------------------------------------------------

  registered(e: Entry, m: MessageOf<"register">, actions: readonly LifeAction[]): void {
    const d = this.d;
    const now = d.now();
    if (!e.active) {
      d.lives.apply(e, { type: "activated" }, now);
      if (e.kind === "dynamic") {
        // A declared dynamic component registering is activated by it.
        d.emit({ component: e.name, event: "activated", level: "", reason: "it registered" });
        d.journal.mark();
      }
    }
    d.lives.act(e, actions); // "ready", after a start by hamon
    if (e.held) return d.journal.mark(); // an operator holds it: registered, but not watched until released
    armOfferedChecks(d.checks, e, m.checks, now);
    d.feed({ type: "healthy", component: e.name });
    d.arrived(e.name, now);
    d.journal.mark();
    d.reschedule(now);
    d.lives.releaseHeldBack();
  }

  deregistered(e: Entry, reason: string): boolean {
    dropChecks(this.d.checks, e);
    // An undeclared component saying goodbye is forgotten, unless it was deactivated: it stays listed as inactive.
    const forget = !e.declared && e.active && !this.d.sup.alive(e.name);
    this.d.lives.apply(e, { type: "deregistered", reason });
    if (forget) this.d.feed({ type: "removed", component: e.name });
    this.d.journal.mark();
    return forget;
  }

  whenJournaled(then: () => void): void {
    this.d.journal.whenWritten(then);
  }

  disconnected(e: Entry, reason: string): void {
    const d = this.d;
    dropChecks(d.checks, e);
    e.conn = null;
    if (!e.active) return d.lives.apply(e, { type: "deactivated", reason: "deactivated" });
    // hamon is restarting it, or a new instance was already started after its exit.
    if (e.expectGone || e.state === "starting") return;
    const pidNote = e.pid > 0 && !d.control.exists(e.pid) ? `; process ${e.pid} is gone` : "";
    d.lives.apply(e, { type: "lost", reason: `connection lost: ${reason}${pidNote}` });
    d.feed({ type: "failure", component: e.name, reason: `connection lost: ${reason}${pidNote}`, certain: true });
  }

  says(e: Entry, m: MessageOf<"report" | "confirm" | "error-report" | "reply">): void {
    const d = this.d;
    const now = d.now();
    switch (m.type) {
      case "reply":
        if (d.adhoc.reply(m)) return;
        if (d.checks.reply(m.id, m.health !== "failed", m.detail, now, this)) this.noteHealth(e, m.health, m.detail);
        return;
      case "confirm": {
        const slot = slotOf(d.checks, e, m.check);
        if (slot < 0) {
          e.conn?.send({ type: "error", id: 0, code: "E_NOT_FOUND", message: `confirm for check '${m.check}', which this component did not declare` });
          return;
        }
        d.checks.confirm(slot, m.result !== "failed", m.reason, now, this);
        this.noteHealth(e, m.result, m.reason);
        d.reschedule(now);
        return;
      }
      case "report": {
        const changed = e.reported !== m.health || e.reportedReason !== m.reason;
        const actions = d.registry.apply(e, { type: "report", health: m.health, reason: m.reason, checksFailing: checksFailing(d.checks, e) }, now);
        if (changed) d.emit({ component: e.name, event: `report-${m.health}`, level: "", reason: m.reason });
        d.lives.act(e, actions);
        return;
      }
      case "error-report":
        // Still evidence of a failure (a recommendation above max_recommend was refused by the dispatcher; the engine caps it).
        d.emit({ component: e.name, event: "error-report", level: m.level, reason: m.reason });
        d.feed({ type: "failure", component: e.name, reason: `error report: ${m.reason}`, certain: true, recommended: m.level });
        return;
    }
  }

  // ---- the check table's sink ---------------------------------------------------

  sendQuery(owner: number, check: string, id: number): boolean {
    const e = this.d.registry.at(owner);
    if (!e) return false;
    // A probe or exec check is run by the monitor itself; its result comes back as the reply would.
    const run = runOf(e, check);
    if (run) {
      // Its own deadline a little before the check's, so the probe's own words ("no 'PONG' within …") are the evidence.
      const t = this.d.checks.timeoutOf(id);
      this.plain.run(e, run, id, Math.max(1, Math.min(t - 1, Math.floor(t * 0.9))));
      return true;
    }
    if (!e.conn) return false;
    return e.conn.send({ type: "query", id, kind: "health", check, action: "" });
  }

  transition(slot: number, owner: number, ok: boolean, reason: string, certain: boolean): void {
    const e = this.d.registry.at(owner);
    if (!e) return;
    const lives = this.d.lives;
    // A daemon still starting (ready = "probe") fails its probe until it serves: that is what "not ready
    // yet" looks like, not a failure. Its ready_timeout_ms decides if it never gets there.
    if (!ok && e.state === "starting" && e.declared?.ready === "probe") return lives.apply(e, { type: "note", reason: `starting; not ready yet: ${reason}` });
    // Silence may be work, not a hang: its process is looked at first (stalls.ts); the failure goes on only if it is hung.
    if (!ok && this.d.checks.wasSilent(slot) && this.stalls.take(e, slot, reason, (why) => this.failed(e, why, certain))) return;
    if (!ok) return this.failed(e, reason, certain);
    this.d.emit({ component: e.name, event: "check-ok", level: "", reason });
    if (!checksFailing(this.d.checks, e)) lives.apply(e, { type: "checks-ok" });
  }

  private failed(e: Entry, reason: string, certain: boolean): void {
    this.d.emit({ component: e.name, event: "check-failed", level: "", reason });
    this.d.lives.apply(e, { type: "check-failed", reason, certain });
  }

  private noteHealth(e: Entry, h: Health, detail: string): void {
    this.d.lives.apply(e, { type: "answer", health: h, detail, checksFailing: checksFailing(this.d.checks, e), known: this.d.known(e.name) });
  }
}
