/**
 * `hamon reload` (and SIGHUP): a new configuration, already validated exactly
 * as at start-up, applied to the running monitor without restarting what did
 * not change:
 * - added components start (a daemon hamon starts waits for what it starts
 *   `after`, as at start-up), or are expected;
 * - removed ones are stopped (the one stop escalation, with its deadline)
 *   and forgotten, journal included; one still connected (a library
 *   component) stays, as an undeclared component;
 * - a changed start, stop, user, group, umask, env, cwd, nofile or output
 *   restarts the daemon with its new spec;
 * - changed checks are re-armed without a restart;
 * - a changed policy applies to the next decision (it is read from the
 *   component's declaration at each one);
 * - what cannot change under a running monitor (its socket, state dir, tick,
 *   security, integrations, fast paths) is named: applied at its next start.
 * Returns the one line the `reloaded` event and the verb's answer say.
 */
import type { ComponentConfig, MonitorConfig } from "../config/config.ts";
import type { EngineEvent } from "../engine/decide.ts";
import type { Supervisor } from "../process/supervisor.ts";
import { componentUid } from "../sys/accounts.ts";
import { armOfferedChecks, armPlainChecks, dropChecks } from "./check-slots.ts";
import type { CheckTable } from "./checks.ts";
import type { Lives } from "./life.ts";
import type { Entry, Registry } from "./registry.ts";

export interface ReloadDeps {
  /** The running configuration: updated in place, so every room reads the new one. */
  readonly config: MonitorConfig;
  readonly registry: Registry;
  readonly checks: CheckTable;
  readonly lives: Lives;
  readonly sup: Supervisor;
  now(): number;
  feed(ev: EngineEvent): void;
  reschedule(now: number): void;
  readonly journal: { mark(): void };
  /** The engine's side recomputes what it derived from [defaults]. */
  refreshPolicies(): void;
}

/** What a daemon runs as and with: a change restarts it. */
const SPEC_KEYS = ["start", "stop", "user", "group", "umask", "env", "cwd", "nofile", "output", "logMaxBytes", "logKeep"] as const;
/** What cannot change under a running monitor. */
const FIXED_KEYS = ["socket", "stateDir", "tickMs", "watchdog", "security", "integrations", "fastpaths"] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The configuration read again (`reread`: its file, validated exactly as at
 * start-up) and, when valid, applied; when not, nothing changes and the
 * errors are returned.
 */
export function reload(d: ReloadDeps, reread: (() => { ok: true; config: MonitorConfig } | { ok: false; errors: string[] }) | undefined): { ok: true; summary: string } | { ok: false; errors: string[] } {
  const r = reread?.() ?? { ok: false as const, errors: ["the monitor was started without a configuration file (--demo, or the built-in default): there is nothing to read again"] };
  return r.ok ? { ok: true, summary: applyReload(d, r.config) } : r;
}

export function applyReload(d: ReloadDeps, next: MonitorConfig): string {
  const prev = d.config;
  const before = new Map(prev.components.map((c) => [c.name, c]));
  const after = new Map(next.components.map((c) => [c.name, c]));
  const now = d.now();
  const said = { added: [] as string[], removed: [] as string[], restarted: [] as string[], rearmed: [] as string[], policy: [] as string[], fixed: [] as string[] };
  for (const k of FIXED_KEYS) if (!same(prev[k], next[k])) said.fixed.push(k === "fastpaths" ? "[[fastpath]]" : k === "security" || k === "integrations" ? `[${k}]` : k === "watchdog" ? "[monitor] watchdog_*" : `[monitor] ${k}`);
  // The configuration first (the new levels, defaults and declarations are what everything below reads), the fixed parts kept.
  const kept = { socket: prev.socket, stateDir: prev.stateDir, tickMs: prev.tickMs, watchdog: prev.watchdog, security: prev.security, integrations: prev.integrations, fastpaths: prev.fastpaths };
  const ownedFast = new Set(prev.fastpaths.filter((f) => f.start).map((f) => f.name));
  Object.assign(prev, { ...next, ...kept, components: next.components.filter((c) => !ownedFast.has(c.name)).concat(prev.components.filter((c) => ownedFast.has(c.name))) });
  d.refreshPolicies();

  for (const [name, old] of before) {
    if (after.has(name) || ownedFast.has(name)) continue;
    const e = d.registry.get(name);
    if (!e) continue;
    said.removed.push(name);
    forget(d, e, old);
  }
  for (const [name, c] of after) {
    if (ownedFast.has(name)) continue;
    const old = before.get(name);
    const e = d.registry.get(name);
    if (!old || !e) {
      said.added.push(name);
      add(d, c, now);
      continue;
    }
    e.declared = c;
    e.kind = c.kind;
    e.plane = c.plane;
    if (SPEC_KEYS.some((k) => !same(old[k], c[k])) && c.start && e.active && !e.held) {
      said.restarted.push(name);
      d.lives.restart(e, "its configuration changed (reload)", { count: false });
    } else if (!same(old.checks, c.checks)) {
      said.rearmed.push(name);
      rearm(d, e, now);
    }
    if (!same(old.policy, c.policy)) said.policy.push(name);
  }
  d.journal.mark();
  d.reschedule(now);
  const parts = [
    said.added.length && `added ${said.added.join(", ")}`,
    said.removed.length && `removed ${said.removed.join(", ")}`,
    said.restarted.length && `restarted with a new spec ${said.restarted.join(", ")}`,
    said.rearmed.length && `checks re-armed ${said.rearmed.join(", ")}`,
    said.policy.length && `policy changed ${said.policy.join(", ")}`,
    said.fixed.length && `not applied until the monitor restarts: ${said.fixed.join(", ")}`,
  ].filter((p): p is string => typeof p === "string");
  return parts.length ? parts.join("; ") : "no change";
}

/** A component the configuration no longer declares. */
function forget(d: ReloadDeps, e: Entry, old: ComponentConfig): void {
  dropChecks(d.checks, e);
  if (e.conn) {
    // A library component still connected: it stays, undeclared (as any component that registers without a declaration).
    e.declared = null;
    return;
  }
  const gone = () => {
    if (d.registry.get(e.name) !== e) return;
    d.registry.remove(e.name);
    d.feed({ type: "removed", component: e.name });
    d.journal.mark();
  };
  // The one stop (a restart waiting for its backoff is off too); an owned daemon already dead is simply forgotten.
  if (old.start) void d.lives.stop(e, "removed from the configuration (reload)").then(gone);
  else {
    d.sup.release(e.name); // an attached daemon is someone else's: only no longer watched
    gone();
  }
}

/** A component the configuration now declares: as at start-up, without a journal to consult. */
function add(d: ReloadDeps, c: ComponentConfig, now: number): void {
  const e = d.registry.ensure(c.name, { kind: c.kind, plane: c.plane, declared: c, state: "starting" });
  e.declared = c;
  if (c.kind !== "static" && !e.conn) return d.lives.apply(e, { type: "deactivated", reason: "not activated" }, now);
  if (e.conn) return rearm(d, e, now); // it had registered undeclared: now declared, watched by its declared checks
  if (c.pidfile && c.ready !== "pidfile") {
    const r = d.sup.attachPidfile(c.name, c.pidfile, { uid: componentUid(c) });
    if (!r.ok) return d.lives.expect(e, now, r.why);
    d.lives.apply(e, { type: "adopted", pid: r.pid }, now);
    return d.lives.apply(e, { type: "present", reason: `attached to pid ${r.pid}` }, now);
  }
  if (c.start) return d.lives.spawn(e, "added by a reload");
  d.lives.expect(e, now, "added by a reload: waiting for it to register");
}

function rearm(d: ReloadDeps, e: Entry, now: number): void {
  if (e.held) return;
  if (e.conn) armOfferedChecks(d.checks, e, e.checks, now);
  else if (e.declared && e.declared.ready !== "registered" && d.sup.alive(e.name)) armPlainChecks(d.checks, e, now);
}
