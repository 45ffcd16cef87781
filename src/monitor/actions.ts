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
import type { ExecutorContext } from "./context.ts";
import { writeFlightRecord } from "./flight.ts";
import { runWithDeadline } from "../process/run.ts";
import type { Entry } from "./registry.ts";
import { MONITOR_OWNER_VAR, ownerMark } from "../process/adopt.ts";
import { assertExecutable, ignoringSigpipe } from "../process/daemon-logs.ts";
import { gidOf, primaryGidOf, uidOf, userEntry } from "../sys/accounts.ts";
import { cleanEnv } from "../security/env.ts";

/** A level hook gets this long before it is killed. */
export const HOOK_TIMEOUT_MS = 60_000;


export class Executor {
  constructor(private readonly core: ExecutorContext) {}

  act(a: Action, now: number): void {
    const c = this.core;
    switch (a.type) {
      case "recover": {
        const dry = c.config.dryRun ? " [dry run: nothing done]" : "";
        c.emit({ component: a.component, event: "recover", level: a.level, reason: `${a.reason} (failure ${a.failuresInWindow} in window)${dry}` });
        if (!dry) this.perform(a.level, a.component, a.reason);
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
        const grace = c.engine.components.get(a.component)?.graceUntil ?? 0;
        if (e && grace > now && !c.registry.quarantinedOf(e.name)) {
          c.life(e, { type: "grace", untilMs: grace }, now);
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

  /** Carries out `level` for `name` (also used by the operator's restart verb). */
  perform(level: Level, name: string, reason: string): void {
    const c = this.core;
    const e = c.registry.get(name);
    if (level === "restart-daemon" && e?.declared?.start) return this.restart(e, reason);
    if (level === "restart-daemon" && e?.conn && e.actions.includes("restart")) return this.delegate(e, reason);
    this.fallback(level, name, reason);
  }

  /** What `level` does when no daemon of hamon's own and no component can carry it out. */
  private fallback(level: Level, name: string, reason: string): void {
    const c = this.core;
    const hook = c.config.levels[level];
    if (level === "reboot-system" && c.beforeReboot) {
      // The cluster first (standby: its resources moved away cleanly), then the hook that reboots.
      void c.beforeReboot(name, reason).then(() => (hook ? this.hook(hook, name, level, reason) : this.noAction(name, level)));
      return;
    }
    if (hook) return this.hook(hook, name, level, reason);
    if (severity(level) === 0 || level === "reboot-system") return this.noAction(name, level);
    const planes = level === "restart-control-plane" ? ["control"] : ["control", "fast"];
    const targets = [...c.registry.all()].filter((t) => t.active && t.declared?.start && planes.includes(t.plane));
    if (targets.length === 0) {
      c.emit({ component: name, event: "no-action", level, reason: `no [levels] ${level} hook and no daemon hamon owns on the ${planes.join("+")} plane` });
      return;
    }
    for (const t of targets) this.restart(t, `${level} for '${name}': ${reason}`);
    if (level !== "restart-control-plane-and-fast-path") return;
    // Half a recovery must not pass for a whole one: fast paths nothing here can restart are named.
    const stranded = [...c.registry.all()].filter((t) => t.active && t.plane === "fast" && !t.declared?.start).map((t) => t.name);
    if (stranded.length) {
      c.emit({
        component: name, event: "no-action", level,
        reason: `control plane restarted (${targets.length} daemon(s)), but fast path ${stranded.map((s) => `'${s}'`).join(", ")} was not: hamon does not own it and no [levels] ${level} hook is configured: the HA framework must act`,
      });
    }
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

  /** Starts an owned daemon (declared `start`), or holds it back until what it starts `after` is ready. */
  spawn(e: Entry, why: string): void {
    const c = this.core;
    const argv = e.declared?.start;
    if (!argv || c.stopping) return;
    const missing = (e.declared?.after ?? []).filter((n) => c.registry.get(n)?.state !== "up");
    if (missing.length) return c.holdBack(e, why, missing);
    const now = c.now();
    e.startedAtMs = now;
    try {
      // The mark lets the next monitor find it in /proc, journal or not (adopt, never start a second copy).
      const d = e.declared!;
      // Its output into a pipe a writer thread drains (process/daemon-logs.ts): the daemon never holds our file.
      if (d.output === "log" && argv[0]!.startsWith("/")) assertExecutable(argv[0]!);
      const log = d.output === "log" ? c.logs.pipe() : undefined;
      try {
        // Run as `user` (which alone may then register it) and its primary group, or `group`.
        const uid = d.user === null ? null : uidOf(d.user);
        const gid = d.group !== null ? gidOf(d.group) : d.user !== null ? primaryGidOf(d.user) : null;
        const env = { ...d.env, HAMON_SOCKET: c.socketPath, HAMON_COMPONENT: e.name, [MONITOR_OWNER_VAR]: ownerMark(e.name, c.socketPath) };
        // A daemon run as a user gets a clean environment (PATH, HOME, USER, LOGNAME and its own env): nothing of root's.
        const who = d.user === null ? null : userEntry(d.user);
        e.pid = c.sup.spawn(e.name, log ? ignoringSigpipe(argv) : argv, who ? cleanEnv(who, env) : env, {
          ...(who ? { cleanEnv: true } : {}), ...(d.cwd ? { cwd: d.cwd } : {}), ...(log !== undefined ? { output: log.write } : {}), ...(uid !== null ? { uid } : {}), ...(gid !== null ? { gid } : {}), ...(d.umask !== null ? { umask: d.umask } : {}),
          ...(d.nofile !== null ? { nofile: d.nofile } : {}),
        });
      } catch (err) {
        if (log) c.logs.abandon(log);
        throw err;
      }
      if (log) c.logs.started(e.name, log, { maxBytes: d.logMaxBytes, keep: d.logKeep });
    } catch (err) {
      const reason = `cannot start ${argv[0]}: ${(err as Error).message}`;
      c.life(e, { type: "failed", reason }, now);
      c.emit({ component: e.name, event: "start-failed", level: "", reason });
      c.feed({ type: "failure", component: e.name, reason, certain: true });
      return;
    }
    const ready = e.declared?.ready ?? "registered";
    // A plain daemon: the checks the monitor runs itself (a forking one's once its pid file names the daemon).
    if (ready === "started" || ready === "probe") c.armChecks(e, now);
    if (ready !== "started") c.expect(e, now, `${why}: started pid ${e.pid}${ready === "region" ? "; waiting for its heartbeat region" : ""}`);
    c.emit({ component: e.name, event: "started", level: "", reason: `pid ${e.pid} (${why})` });
    if (ready === "started") c.becameReady(e, now, "started");
    c.flushJournal(true); // the new pid on disk now: a monitor killed next adopts it instead of starting a second copy
  }

  /** Stops (if running) and starts an owned daemon again. `count`: false when finishing a restart already counted. */
  restart(e: Entry, why: string, count = true): void {
    const c = this.core;
    if (count) e.restarts++;
    if (!c.sup.alive(e.name)) {
      this.spawn(e, why); // already dead: no stop to wait for
      return this.restartBound(e);
    }
    e.expectGone = true;
    c.life(e, { type: "restarting", why });
    c.flushJournal(true); // "restarting" on disk: a monitor killed during the stop finishes it
    void c.sup.stop(e.name, e.declared?.stop ?? null, c.config.stopTimeoutMs, { HAMON_COMPONENT: e.name }).then((how) => {
      e.expectGone = false;
      c.emit({ component: e.name, event: "stopped", level: "", reason: how });
      if (e.active) this.spawn(e, why);
    });
    this.restartBound(e); // after `e` left "up": what starts after it waits for it
  }

  /** What binds to `e` (`binds_to`) is restarted with it (bgpd with zebra); `after` then holds it until `e` is ready. */
  private restartBound(e: Entry): void {
    for (const t of this.core.registry.all()) {
      if (t.active && t.declared?.start && t.declared.bindsTo.includes(e.name) && !t.expectGone) this.restart(t, `'${e.name}', which it binds to, is restarting`);
    }
  }

  /**
   * Asks a connected component to restart its own daemon (a sidecar that owns
   * it). It answers once the new instance runs and re-registers with the new
   * pid; a refusal or silence falls back to the hook or a no-action event.
   */
  private delegate(e: Entry, reason: string): void {
    const c = this.core;
    e.startedAtMs = c.now(); // its re-registration emits "ready" with the latency
    c.emit({ component: e.name, event: "restart-delegated", level: "restart-daemon", reason: `asked '${e.name}' to restart its daemon: ${reason}` });
    void c.adhoc.ask(e.conn!, "action", "restart", ACTION_TIMEOUT_MS).then((a) => {
      if (a?.health === "ok") {
        e.restarts++;
        c.emit({ component: e.name, event: "restarted", level: "restart-daemon", reason: a.detail });
        c.markJournal();
        return;
      }
      e.startedAtMs = -1;
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

  /** Stops an owned daemon for good (deactivate, shutdown). */
  async stopOwned(e: Entry, why: string): Promise<void> {
    const c = this.core;
    if (!c.sup.alive(e.name)) return;
    e.expectGone = true;
    let how = "released (not ours to signal)";
    if (c.sup.owns(e.name)) how = await c.sup.stop(e.name, e.declared?.stop ?? null, c.config.stopTimeoutMs, { HAMON_COMPONENT: e.name });
    else c.sup.release(e.name);
    e.expectGone = false;
    c.emit({ component: e.name, event: "stopped", level: "", reason: `${how} (${why})` });
    c.markJournal();
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
