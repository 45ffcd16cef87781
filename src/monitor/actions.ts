/**
 * The effects executor: carries out the engine's actions. Every action is
 * also an event (subscribers, log, events.jsonl) carrying its evidence.
 *
 * What a level does:
 * - restart-daemon: hamon restarts a daemon it owns (declared `start`);
 *   a connected component that owns its daemon itself (the sidecar) is asked
 *   to restart it (`<query kind="action" action="restart">`); for any other
 *   component, or when that one cannot, the `[levels]` hook runs if configured.
 * - restart-control-plane, restart-control-plane-and-fast-path: the hook if
 *   configured; otherwise hamon restarts every daemon it owns on the control
 *   plane (and, for the latter, the fast plane).
 * - reboot-system: the hook only; hamon never reboots on its own.
 * With no way to act, the event says so: the HA framework listening on the
 * event stream must act. In dry-run mode nothing is done, only recorded.
 */
import type { Action } from "../engine/decide.ts";
import { severity } from "../engine/policy.ts";
import { ACTION_TIMEOUT_MS } from "../protocol/limits.ts";
import type { Level } from "../protocol/messages.ts";
import { writeFlightRecord } from "./flight.ts";
import { runWithDeadline } from "../process/run.ts";
import type { Entry, Registry } from "./registry.ts";
import type { MonitorConfig } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { Supervisor } from "../process/supervisor.ts";
import type { CoreView } from "../watchdog/watch.ts";
import type { AdHocQueries } from "./adhoc.ts";
import type { CheckTable } from "./checks.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { Lives } from "./life.ts";
import type { PersistenceHealth } from "./persistence.ts";

/** A level hook gets this long before it is killed. */
export const HOOK_TIMEOUT_MS = 60_000;


export interface ExecutorDeps {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly checks: CheckTable;
  /** A daemon's life: restart, grace (life.ts). */
  readonly lives: Lives;
  readonly sup: Supervisor;
  readonly adhoc: AdHocQueries;
  readonly stateDir: string;
  readonly persistence: PersistenceHealth | null;
  readonly log: Logger;
  now(): number;
  emit(ev: MonitorEvent): void;
  reschedule(now: number): void;
  markJournal(): void;
  /** When the engine's grace for `name` ends (0: none). */
  graceUntil(name: string): number;
  /** The flap window of `name`'s policy (how long it counts as flapping). */
  flapWindowMs(name: string): number;
  /** Every fast path's cores (the flight recorder). */
  cores(): { fastpath: string; cores: CoreView[] }[];
  /** What the HA engines do before a reboot-system's hook (a cluster standby); absent: nothing. */
  readonly beforeReboot: ((component: string, reason: string) => Promise<void>) | undefined;
}

export class Executor {
  constructor(private readonly core: ExecutorDeps) {}

  act(a: Action, now: number): void {
    const c = this.core;
    switch (a.type) {
      case "recover": {
        const dry = c.config.dryRun ? " [dry run: nothing done]" : "";
        const wait = a.delayMs > 0 ? `; its restart in ${a.delayMs} ms (backoff)` : "";
        c.emit({ component: a.component, event: "recover", level: a.level, reason: `${a.reason} (failure ${a.failuresInWindow} in window)${wait}${dry}` });
        if (!dry) this.perform(a.level, a.component, a.reason, a.delayMs);
        return;
      }
      case "flapping": {
        const e = c.registry.get(a.component);
        if (e) c.lives.apply(e, { type: "flapping", untilMs: now + c.flapWindowMs(a.component) }, now);
        c.emit({ component: a.component, event: "flapping", level: "", reason: a.reason });
        return;
      }
      case "flight-record": return this.flightRecord(a.component, a.level, a.reason, now);
      case "quarantine": {
        c.emit({ component: a.component, event: "quarantined", level: "", reason: a.reason });
        c.markJournal();
        return;
      }
      case "ignore": {
        // A failure inside the grace period: if the component is still down when grace ends, it is raised again.
        const e = c.registry.get(a.component);
        const grace = c.graceUntil(a.component);
        if (e && grace > now && !c.registry.quarantinedOf(e.name)) {
          c.lives.apply(e, { type: "grace", untilMs: grace }, now);
          c.reschedule(now);
        }
        c.emit({ component: a.component, event: "ignored", level: "", reason: a.reason });
        return;
      }
      case "recheck": {
        const e = c.registry.get(a.component);
        if (e) {
          for (const s of e.slots) c.checks.recheck(s, now);
          c.reschedule(now);
        }
        c.emit({ component: a.component, event: "recheck", level: "", reason: a.reason });
        return;
      }
      case "degraded-monitor":
        c.emit({ component: "hamon", event: "monitor-degraded", level: "", reason: a.reason });
        return;
      default: {
        const never: never = a;
        throw new Error(`unhandled action ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Carries out `level` for `name` (also the operator's restart verb).
   * Whatever the level does, the component whose failure it answers is
   * restarted too when hamon owns it (never stranded), after `delayMs` (its
   * backoff); the others a level restarts are restarted for its sake
   * (collateral: counted apart, never their own failure).
   */
  perform(level: Level, name: string, reason: string, delayMs = 0): void {
    const c = this.core;
    const e = c.registry.get(name);
    const own = e?.active && e.declared?.start ? e : null;
    if (level === "restart-daemon" && own) return c.lives.restart(own, reason, { delayMs });
    if (level === "restart-daemon" && e?.conn && e.actions.includes("restart")) return this.delegate(e, reason);
    const restarted = this.fallback(level, name, reason);
    if (own && !restarted.includes(own)) c.lives.restart(own, `${reason} (${level} ran for it; it is restarted too)`, { delayMs });
  }

  /** What `level` does when no daemon of hamon's own and no component can carry it out; returns the daemons it restarted. */
  private fallback(level: Level, name: string, reason: string): readonly Entry[] {
    const c = this.core;
    const hook = c.config.levels[level];
    if (level === "reboot-system" && c.beforeReboot) {
      // The cluster first (standby: its resources moved away cleanly), then the hook that reboots.
      void c.beforeReboot(name, reason).then(() => (hook ? this.hook(hook, name, level, reason) : this.noAction(name, level)));
      return [];
    }
    if (hook) {
      this.hook(hook, name, level, reason);
      return [];
    }
    if (severity(level) === 0 || level === "reboot-system") {
      this.noAction(name, level);
      return [];
    }
    const planes = level === "restart-control-plane" ? ["control"] : ["control", "fast"];
    const targets = [...c.registry.all()].filter((t) => t.active && t.declared?.start && planes.includes(t.plane) && t.name !== name);
    if (targets.length === 0) {
      // Its own restart (perform) is then all there is to do.
      if (!c.registry.get(name)?.declared?.start) c.emit({ component: name, event: "no-action", level, reason: `no [levels] ${level} hook and no daemon hamon owns on the ${planes.join("+")} plane` });
      return [];
    }
    for (const t of targets) c.lives.restart(t, `${level} for '${name}': ${reason}`, { collateral: true });
    if (level !== "restart-control-plane-and-fast-path") return targets;
    // Half a recovery must not pass for a whole one: fast paths nothing here can restart are named.
    const stranded = [...c.registry.all()].filter((t) => t.active && t.plane === "fast" && !t.declared?.start).map((t) => t.name);
    if (stranded.length) {
      c.emit({
        component: name, event: "no-action", level,
        reason: `control plane restarted (${targets.length} daemon(s)), but fast path ${stranded.map((s) => `'${s}'`).join(", ")} was not: hamon does not own it and no [levels] ${level} hook is configured: the HA framework must act`,
      });
    }
    return targets;
  }

  private noAction(name: string, level: Level): void {
    this.core.emit({ component: name, event: "no-action", level, reason: `hamon does not own '${name}' and no [levels] ${level} hook is configured: the HA framework must act` });
  }

  /** `a` only restarts an owned daemon that is already dead: a spawn at once, with its own journal write after it. */
  spawnsAtOnce(a: Action): boolean {
    const c = this.core;
    if (a.type !== "recover" || a.level !== "restart-daemon" || c.config.dryRun) return false;
    const e = c.registry.get(a.component);
    return !!e?.declared?.start && !c.sup.alive(e.name);
  }

  /**
   * Asks a connected component to restart its own daemon (a sidecar that owns
   * it). It answers once the new instance runs and re-registers with the new
   * pid; a refusal or silence falls back to the hook or a no-action event.
   */
  private delegate(e: Entry, reason: string): void {
    const c = this.core;
    c.lives.apply(e, { type: "delegated" }); // its re-registration emits "ready" with the latency
    c.emit({ component: e.name, event: "restart-delegated", level: "restart-daemon", reason: `asked '${e.name}' to restart its daemon: ${reason}` });
    void c.adhoc.ask(e.conn!, "action", "restart", ACTION_TIMEOUT_MS).then((a) => {
      c.lives.apply(e, { type: "delegate-done", ok: a?.health === "ok" });
      if (a?.health === "ok") {
        c.emit({ component: e.name, event: "restarted", level: "restart-daemon", reason: a.detail });
        c.markJournal();
        return;
      }
      const why = a ? `'${e.name}' cannot restart its daemon: ${a.detail}` : `'${e.name}' did not answer the restart action within ${ACTION_TIMEOUT_MS} ms`;
      c.emit({ component: e.name, event: "restart-refused", level: "restart-daemon", reason: why });
      this.fallback("restart-daemon", e.name, reason);
    });
  }

  /** Asks a connected component that owns its daemon to stop it (a dynamic one deactivated). */
  async delegateStop(e: Entry, why: string): Promise<void> {
    const c = this.core;
    if (!e.conn || !e.actions.includes("stop")) return;
    const a = await c.adhoc.ask(e.conn, "action", "stop", ACTION_TIMEOUT_MS);
    c.emit({ component: e.name, event: a?.health === "ok" ? "stopped" : "stop-refused", level: "", reason: `${a ? a.detail : "no answer"} (${why})` });
  }

  private hook(argv: string[], name: string, level: Level, reason: string): void {
    const c = this.core;
    // The hook gets HAMON_COMPONENT, HAMON_LEVEL and HAMON_REASON; killed with its process group at the deadline.
    void runWithDeadline(argv, { env: { HAMON_COMPONENT: name, HAMON_LEVEL: level, HAMON_REASON: reason }, timeoutMs: HOOK_TIMEOUT_MS }).then((r) => {
      const how = r.exit ? r.exit.how : `could not start ${argv[0]}: ${r.startError}`;
      c.emit({ component: name, event: r.exit?.code === 0 ? "hook-done" : "hook-failed", level, reason: `${argv[0]} ${how}` });
    });
  }

  private flightRecord(name: string, level: Level, reason: string, now: number): void {
    const c = this.core;
    const checks = c.checks.slots().map((s) => {
      const e = c.registry.at(c.checks.ownerOf(s));
      return {
        component: e?.name ?? "?", check: c.checks.nameOf(s), failed: c.checks.isFailed(s),
        samples: c.checks.samples(s).map((x) => ({ ago_ms: Math.round(now - x.atMs), ok: x.ok, reason: x.reason })),
      };
    });
    const components = [...c.registry.all()].map((e) => c.registry.status(e, now));
    try {
      const path = writeFlightRecord(c.stateDir, name, { time: new Date().toISOString(), component: name, level, reason, components, checks, cores: c.cores() });
      c.persistence?.ok("flight");
      c.emit({ component: name, event: "flight-record", level, reason: path });
    } catch (err) {
      if (c.persistence) c.persistence.failed("flight", `${c.stateDir}/flight`, err);
      else c.log("error", "flight record failed", { component: name, error: (err as Error).message });
    }
  }
}
