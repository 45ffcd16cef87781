/**
 * The monitor's start: every declared component is adopted, attached,
 * started or awaited, from what the previous monitor's journal says and what
 * /proc shows (an owned daemon's mark), so a monitor restart never starts a
 * second copy and never forgets a failure. Undeclared components the previous
 * monitor had registered are awaited too. What each case does to a daemon's
 * life goes through the life room (life.ts).
 */
import type { ComponentConfig, MonitorConfig } from "../config/config.ts";
import type { Logger } from "../log.ts";
import { findMonitorOwned, planAdoption, type Marked } from "../process/adopt.ts";
import { signalIdentified, type ProcessControl } from "../process/control.ts";
import type { DaemonLogs } from "../process/daemon-logs.ts";
import { readPidfile } from "../process/pidfile.ts";
import type { Supervisor } from "../process/supervisor.ts";
import { componentUid } from "../sys/accounts.ts";
import type { MonitorEvent } from "./dispatch.ts";
import type { JournalComponent, Loaded } from "./journal.ts";
import type { EngineState } from "../engine/decide.ts";
import type { Lives } from "./life.ts";
import type { Rediscovery } from "./rediscovery.ts";
import type { Entry, Registry } from "./registry.ts";

export interface StartupDeps {
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly sup: Supervisor;
  readonly logs: DaemonLogs;
  readonly control: ProcessControl;
  readonly lives: Lives;
  readonly socketPath: string;
  readonly log: Logger;
  emit(ev: MonitorEvent): void;
  /** Discovery waits for `name` (rediscovery.ts). */
  await(name: string): void;
}

/** What the previous monitor's journal gives back: its engine state and its components by name (both empty when there is none or it is refused, which is said). */
export function resumeJournal(j: Loaded, path: string, log: Logger): { engine: EngineState | null; journaled: Map<string, JournalComponent> } {
  const journaled = new Map<string, JournalComponent>();
  if (j.ok === false) log("warn", "journal ignored", { path, why: j.why });
  if (j.ok !== true) return { engine: null, journaled };
  for (const c of j.data.components) journaled.set(c.name, c);
  log(j.from === path ? "info" : "warn", "journal reloaded", { from: j.from, components: j.data.components.length, saved_by_pid: j.data.pid });
  if (j.data.timesDropped) log("warn", "journal times not applied", { why: j.data.timesDropped });
  return { engine: j.data.engine, journaled };
}

/** Declares every component and brings each to where it should be; `journaled`: what the previous monitor saved, by name. */
export function startComponents(d: StartupDeps, journaled: ReadonlyMap<string, JournalComponent>, now: number): void {
  const { config, registry, lives } = d;
  const windowMs = config.reregisterWindowMs;
  const declared = new Set([...config.components, ...config.fastpaths].map((c) => c.name));
  // Undeclared components the previous monitor had registered: wait for them too
  // (first: a spawn below writes the journal, which must still list them).
  for (const past of journaled.values()) {
    if (!past.up || declared.has(past.name)) continue;
    const e = registry.ensure(past.name, { kind: past.kind ?? "static", plane: past.plane ?? "control" });
    lives.apply(e, { type: "resumed", restarts: past.restarts }, now);
    lives.expect(e, now, "registered with the previous monitor; waiting for it to re-register", windowMs);
    d.await(e.name);
  }
  // Owned daemons are found by their mark in /proc too: a missing, stale or unwritable journal must not start second copies.
  const orphans = config.components.some((c) => c.start) ? findMonitorOwned(d.socketPath) : new Map<string, Marked[]>();
  for (const c of config.components) {
    const e = registry.ensure(c.name, { kind: c.kind, plane: c.plane, declared: c, state: "starting" });
    const past = journaled.get(c.name);
    lives.apply(e, { type: "resumed", restarts: past?.restarts ?? 0 }, now);
    if (c.kind !== "static" && !past?.active) lives.apply(e, { type: "deactivated", reason: "not activated" }, now);
    else if (past?.held) holdAtStart(d, c, e, past, orphans, now);
    else startOne(d, c, e, past, orphans, now);
    if (e.state === "starting") d.await(e.name);
  }
}

function startOne(d: StartupDeps, c: ComponentConfig, e: Entry, past: JournalComponent | undefined, orphans: ReadonlyMap<string, Marked[]>, now: number): void {
  const { lives } = d;
  const windowMs = d.config.reregisterWindowMs;
  if (c.pidfile && c.ready !== "pidfile") {
    const r = d.sup.attachPidfile(c.name, c.pidfile, { uid: componentUid(c) });
    if (!r.ok) return lives.expect(e, now, r.why);
    lives.apply(e, { type: "adopted", pid: r.pid }, now);
    return lives.apply(e, { type: "present", reason: `attached to pid ${r.pid}` }, now);
  }
  // A mark is an environment variable any user can set: only a process running as the component's user (root when it names none) counts.
  const uid = componentUid(c) ?? 0;
  const adopted = c.start ? adoptOwned(d, c, past, (orphans.get(c.name) ?? []).filter((m) => m.uid === uid)) : 0;
  if (adopted > 0) {
    lives.apply(e, { type: "adopted", pid: adopted }, now);
    d.emit({ component: c.name, event: "adopted", level: "", reason: `pid ${adopted}, started by a previous monitor` });
    if (c.output === "log") d.logs.reattach(c.name, adopted, { maxBytes: c.logMaxBytes, keep: c.logKeep });
    if (past?.restarting) return lives.restart(e, "finishing the restart the previous monitor began", { count: false });
    if (c.ready === "registered") return lives.expect(e, now, `adopted pid ${adopted} from the previous monitor; waiting for it to re-register`, Math.max(windowMs, c.readyTimeoutMs));
    // A plain daemon never registers: its own checks say whether it is fine.
    lives.armChecks(e, now);
    if (c.ready === "started" || c.ready === "pidfile") lives.ready(e, now, `adopted pid ${adopted}:`);
    else lives.expect(e, now, `adopted pid ${adopted} from the previous monitor; waiting for its ${c.ready === "region" ? "heartbeat region" : "probe"}`, c.readyTimeoutMs);
  } else if (c.start && past && past.pid > 0) {
    // It was running under the previous monitor and is gone now: a failure (counted, decided on), not a first start.
    lives.failed(e, "exited", `process ${past.pid} died while no monitor was running`, now);
  } else if (c.start) lives.spawn(e, "initial start");
  else if (past?.stopped) lives.apply(e, { type: "deregistered", reason: "cleanly, before the monitor restarted" }, now);
  else lives.expect(e, now, "waiting for it to register", past?.up ? Math.max(windowMs, c.readyTimeoutMs) : c.readyTimeoutMs);
}

/** Held by an operator before the monitor restarted: still held; a copy of it found running (its own stop was cut short) is stopped. */
function holdAtStart(d: StartupDeps, c: ComponentConfig, e: Entry, past: JournalComponent, orphans: ReadonlyMap<string, Marked[]>, now: number): void {
  const uid = componentUid(c) ?? 0;
  const adopted = c.start ? adoptOwned(d, c, past, (orphans.get(c.name) ?? []).filter((m) => m.uid === uid)) : 0;
  if (adopted > 0) d.lives.apply(e, { type: "adopted", pid: adopted }, now);
  void d.lives.hold(e, "by an operator, before the monitor restarted");
}

/**
 * Finds the running copy of an owned daemon: the journal's pid if it is
 * still that process, else the oldest marked process with the same argv
 * (planAdoption); other marked copies are stopped, so exactly one runs.
 * Returns the adopted pid, or 0.
 */
function adoptOwned(d: StartupDeps, c: ComponentConfig, past: JournalComponent | undefined, found: Marked[]): number {
  const name = c.name;
  if (past && past.pid > 0 && d.sup.adopt(name, past.pid, past.startTime, true, past.pid)) {
    for (const m of found) if (m.pid !== past.pid && !found.some((p) => p.pid === m.ppid)) stopStray(d, name, m, "a second copy");
    return past.pid;
  }
  // A forking daemon runs another argv than its launcher: the one its pid file names is the daemon.
  const named = c.ready === "pidfile" ? readPidfile(c.pidfile!, d.control, { uid: componentUid(c) }) : null;
  const plan = named && "pid" in named
    ? { adopt: found.find((m) => m.pid === named.pid) ?? null, stop: found.filter((m) => m.pid !== named.pid && !found.some((p) => p.pid === m.ppid)) }
    : planAdoption(found, c.start!, () => null);
  for (const m of plan.stop) stopStray(d, name, m, "a copy with other arguments or a duplicate");
  if (plan.adopt && d.sup.adopt(name, plan.adopt.pid, plan.adopt.startTime, true, plan.adopt.pgrp === plan.adopt.pid ? plan.adopt.pid : null)) {
    d.log("info", "owned daemon found by its mark", { component: name, pid: plan.adopt.pid, journal: past ? "stale" : "none" });
    return plan.adopt.pid;
  }
  return 0;
}

function stopStray(d: StartupDeps, name: string, m: Marked, what: string): void {
  d.log("warn", "stopping a stray owned daemon", { component: name, pid: m.pid, why: what });
  d.emit({ component: name, event: "stray-stopped", level: "", reason: `pid ${m.pid}: ${what} (${m.argv.join(" ").slice(0, 200)})` });
  // Its group only if it still leads the one a monitor created for it at spawn.
  signalIdentified(d.control, { pid: m.pid, startTime: m.startTime, group: m.pgrp === m.pid ? m.pid : null }, "SIGKILL");
}

/** Each beacon that answered is a live component, now reconnecting: wait for the ones not back yet, then settle discovery. */
export function awaitBeckoned(registry: Registry, lives: Lives, rd: Rediscovery, names: readonly string[], windowMs: number, now: number): void {
  for (const name of names) {
    const e = registry.ensure(name, { kind: "static", plane: "control" });
    if (e.state === "up" || !e.active) continue;
    if (e.state !== "starting") lives.expect(e, now, "its beacon answered; waiting for it to re-register", windowMs);
    rd.await(name);
  }
  rd.settle(now);
}
