/**
 * hamon.toml → a typed, validated configuration. Pure: `parseConfig(text)`
 * returns the config or every error found, each naming its key and value.
 * A built-in default (no file) runs a monitor with no declared components.
 *
 * @example
 *   parseConfig('[[component]]\nname = "ospfd"\nplane = "data"\n')
 *   // { ok: false, errors: ['component[0].plane: must be one of control, fast, system, got "data"'] }
 */
import { LEVELS, PLANES, KINDS, type Level, type Plane, type Kind } from "../protocol/messages.ts";
import { COMPONENT_NAME_RE } from "../protocol/limits.ts";
import { DEFAULT_POLICY, FAST_PATH_POLICY, type ComponentPolicy } from "../engine/policy.ts";
import { DEFAULT_SECURITY, principal, SECURITY_KEYS, securityFrom, type SecurityConfig } from "./security.ts";
import { DEFAULT_INTEGRATIONS, INTEGRATION_TABLES, integrationsFrom, type IntegrationsConfig } from "./integrations.ts";
import { argv, bool, ConfigErrors, DAY_MS, int, isTable, list, oneOf, onlyKeys, required, str, table, type Table } from "./validate.ts";
import { check, type CheckConfig } from "./check.ts";
import { pick, planeDefaults, POLICY_KEYS, policyFrom } from "./policy.ts";
import { dependencies } from "./dependencies.ts";
export type { CheckConfig, CheckRun } from "./check.ts";
import { injectsCode } from "./env-vars.ts";
import { tomlErrorAt } from "./toml-position.ts";
import { DEFAULT_BUSY_MAX_MS } from "../engine/stall.ts";


/** How a started daemon counts as ready: it registers (library), it was started, its probe checks pass, or (a forking daemon) its pid file names a live process. */
export const READY_MODES = ["registered", "started", "probe", "pidfile"] as const;
/** "region" is the owned fast path's own (not configurable): ready once its heartbeat region is attached. */
export type ReadyMode = (typeof READY_MODES)[number] | "region";

export interface ComponentConfig {
  name: string;
  kind: Kind;
  plane: Plane;
  /** Only this user (name or uid) or root may register it; null = any peer the policy lets register. */
  user: string | null;
  /** argv hamon runs to start it (own process group); null = started elsewhere. */
  start: string[] | null;
  stop: string[] | null;
  /** Attach mode: a daemon started by someone else, found by pid file. */
  pidfile: string | null;
  /** A started (or activated) component must be ready within this, else it failed. */
  readyTimeoutMs: number;
  /** What "ready" means for it (default registered: it links the library). */
  ready: ReadyMode;
  /** Started only once these (declared components) are ready: start order. */
  after: string[];
  /** Restarted whenever one of these is restarted (bgpd binds to zebra). */
  bindsTo: string[];
  /** The daemon's working directory (absolute; default the monitor's). */
  cwd: string | null;
  /** The group it runs as (default: `user`'s primary group); `user` is the user it runs as (and registers as). */
  group: string | null;
  /** Its umask (octal), default the monitor's. */
  umask: number | null;
  /** Its open-file limit (RLIMIT_NOFILE, soft and hard), default the monitor's. */
  nofile: number | null;
  /** Added to the daemon's environment (after hamon's own scrubbing of injection variables). */
  env: Record<string, string>;
  /** Its stdout/stderr: the monitor's own stderr (inherit), or its own rotated file in the state dir (log). */
  output: "inherit" | "log";
  logMaxBytes: number;
  logKeep: number;
  checks: CheckConfig[];
  /** A check left unanswered while its process works is busy, not failed, this long (0: acted on at once); engine/stall.ts. */
  busyMaxMs: number;
  policy: ComponentPolicy;
}

export interface FastPathConfig {
  name: string;
  heartbeat: string;
  /** Owned: hamon starts it (first), stops it (stop argv, else SIGTERM), restarts it with the fast plane. */
  start: string[] | null;
  stop: string[] | null;
  output: "inherit" | "log";
  suspectMs: number;
  deadMs: number;
  idleSlackMs: number;
  policy: ComponentPolicy;
}

export interface MonitorConfig {
  socket: string | null;
  stateDir: string | null;
  tickMs: number;
  stopTimeoutMs: number;
  dryRun: boolean;
  /** Stop the daemons hamon owns when the monitor exits (default: leave them running for the next monitor). */
  stopOnExit: boolean;
  /** After a start, how long components the previous monitor knew get to re-register before one is called missing. */
  reregisterWindowMs: number;
  /** Where the fast paths' hot scan runs (docs/heartbeat.md §6): its own thread (default), pinned and SCHED_FIFO if asked. */
  watchdog: WatchdogConfig;
  /** argv run for each level (HAMON_COMPONENT, HAMON_LEVEL, HAMON_REASON in its environment). */
  levels: Partial<Record<Level, string[]>>;
  /** Policy for components that register without being declared. */
  defaults: ComponentPolicy;
  /** Who may do what over the socket, and the per-peer limits (docs/security.md). */
  security: SecurityConfig;
  /** The node verdict's weights and the HA-engine adapters (docs/integrations.md). */
  integrations: IntegrationsConfig;
  components: ComponentConfig[];
  fastpaths: FastPathConfig[];
}

export interface WatchdogConfig {
  /** The hot scan on a thread of its own (true), or on the monitor's loop. */
  thread: boolean;
  /** Pin that thread to this CPU; -1: not pinned. */
  cpu: number;
  /** SCHED_FIFO priority of that thread alone (1..99); 0: normal scheduling. */
  priority: number;
}

export type ConfigResult = { ok: true; config: MonitorConfig } | { ok: false; errors: string[] };

export const DEFAULT_CONFIG: MonitorConfig = {
  socket: null, stateDir: null, tickMs: 10, stopTimeoutMs: 5_000, dryRun: false, stopOnExit: false, reregisterWindowMs: 5_000, watchdog: { thread: true, cpu: -1, priority: 0 }, levels: {}, defaults: DEFAULT_POLICY, components: [], fastpaths: [], security: DEFAULT_SECURITY, integrations: DEFAULT_INTEGRATIONS,
};

export function parseConfig(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (err) {
    const why = (err as Error).message.replace(/^TOML Parse error: /, "");
    const at = tomlErrorAt(text, (err as Error).message);
    return { ok: false, errors: [`TOML syntax${at ? ` at line ${at.line}, column ${at.column}` : ""}: ${why}${at ? `\n  ${at.line} | ${at.text}\n  ${" ".repeat(String(at.line).length)} | ${" ".repeat(at.column - 1)}^` : ""}`] };
  }
  return validateConfig(raw);
}

export function validateConfig(raw: unknown): ConfigResult {
  const e = new ConfigErrors();
  if (!isTable(raw)) return { ok: false, errors: ["the configuration must be a TOML table"] };
  onlyKeys(raw, "(top)", ["monitor", "levels", "defaults", "component", "fastpath", "security", ...INTEGRATION_TABLES], e);
  const integrations = integrationsFrom(
    { node: table(raw, "node", e), keepalived: table(raw, "keepalived", e), pacemaker: table(raw, "pacemaker", e), prometheus: table(raw, "prometheus", e) },
    (name) => raw[name] !== undefined, e,
  );
  const secT = table(raw, "security", e);
  onlyKeys(secT, "security", SECURITY_KEYS, e);
  const security = securityFrom(secT, e);
  const mon = table(raw, "monitor", e);
  onlyKeys(mon, "monitor", ["socket", "state_dir", "tick_ms", "stop_timeout_ms", "dry_run", "stop_on_exit", "reregister_window_ms", "watchdog_thread", "watchdog_cpu", "watchdog_priority"], e);
  const defaults = policyFrom(table(raw, "defaults", e), "defaults", DEFAULT_POLICY, e, false);
  const levelsT = table(raw, "levels", e);
  onlyKeys(levelsT, "levels", LEVELS, e);
  const levels: Partial<Record<Level, string[]>> = {};
  for (const l of LEVELS) {
    const a = argv(levelsT, l, "levels", e);
    if (a) levels[l] = a;
  }
  const components = list(raw, "component", e).map((t, i) => component(t, pathOf("component", t, i), defaults, e));
  const fastpaths = list(raw, "fastpath", e).map((t, i) => fastpath(t, pathOf("fastpath", t, i), defaults, e));
  const seen = new Set<string>();
  for (const [i, n] of [...components, ...fastpaths].map((c, i) => [i, c.name] as const)) {
    if (seen.has(n)) e.add(`component/fastpath #${i} '${n}'`, "duplicate name", n);
    seen.add(n);
  }
  dependencies(components, e);
  // An owned fast path is also an owned daemon on the fast plane, started before every component.
  components.unshift(...fastpaths.filter((f) => f.start).map(ownedFastPath));
  const config: MonitorConfig = {
    socket: mon.socket === undefined ? null : str(mon, "socket", "monitor", e, "", /^\/.+/),
    stateDir: mon.state_dir === undefined ? null : str(mon, "state_dir", "monitor", e, "", /^\/.+/),
    tickMs: int(mon, "tick_ms", "monitor", e, 1, 1_000, DEFAULT_CONFIG.tickMs),
    stopTimeoutMs: int(mon, "stop_timeout_ms", "monitor", e, 100, 600_000, DEFAULT_CONFIG.stopTimeoutMs),
    dryRun: bool(mon, "dry_run", "monitor", e, false),
    stopOnExit: bool(mon, "stop_on_exit", "monitor", e, false),
    reregisterWindowMs: int(mon, "reregister_window_ms", "monitor", e, 0, 600_000, DEFAULT_CONFIG.reregisterWindowMs),
    watchdog: watchdogFrom(mon, e),
    levels, defaults, components, fastpaths, security, integrations,
  };
  return e.list.length ? { ok: false, errors: e.list } : { ok: true, config };
}

function watchdogFrom(mon: Table, e: ConfigErrors): WatchdogConfig {
  const w = { thread: bool(mon, "watchdog_thread", "monitor", e, true), cpu: int(mon, "watchdog_cpu", "monitor", e, 0, 1_023, -1), priority: int(mon, "watchdog_priority", "monitor", e, 1, 99, 0) };
  if (!w.thread && (w.cpu >= 0 || w.priority > 0)) e.add("monitor", "watchdog_cpu and watchdog_priority need watchdog_thread = true (they never apply to the whole monitor)");
  return w;
}

/** How errors name a `[[component]]` or `[[fastpath]]`: by its name (an operator reads "component 'nginx'"), by position when it has none. */
function pathOf(table: "component" | "fastpath", t: Table, i: number): string {
  return typeof t.name === "string" && COMPONENT_NAME_RE.test(t.name) ? `${table} '${t.name}'` : `${table}[${i}]`;
}

function component(t: Table, path: string, defaults: ComponentPolicy, e: ConfigErrors): ComponentConfig {
  onlyKeys(t, path, ["name", "kind", "plane", "user", "start", "stop", "pidfile", "ready", "ready_timeout_ms", "after", "binds_to", "cwd", "env", "output", "log_max_bytes", "log_keep", "group", "umask", "nofile", "check", "busy_max_ms", ...POLICY_KEYS], e);
  const plane = oneOf(t, "plane", path, e, PLANES, "control");
  const base = planeDefaults(defaults, plane);
  const c: ComponentConfig = {
    name: required(t, "name", path, e),
    kind: oneOf(t, "kind", path, e, KINDS, "static"),
    plane,
    user: t.user === undefined ? null : principal(t.user, `${path}.user`, e),
    start: argv(t, "start", path, e),
    stop: argv(t, "stop", path, e),
    pidfile: t.pidfile === undefined ? null : str(t, "pidfile", path, e, "", /^\/.+/),
    readyTimeoutMs: int(t, "ready_timeout_ms", path, e, 10, DAY_MS, 10_000),
    ready: oneOf(t, "ready", path, e, READY_MODES, "registered"),
    after: nameList(t, "after", path, e),
    bindsTo: nameList(t, "binds_to", path, e),
    cwd: t.cwd === undefined ? null : str(t, "cwd", path, e, "", /^\/.*/),
    group: t.group === undefined ? null : principal(t.group, `${path}.group`, e),
    umask: t.umask === undefined ? null : parseInt(str(t, "umask", path, e, "022", /^0?[0-7]{3}$/), 8),
    // Linux's default fs.nr_open is the ceiling; a daemon run as `user` cannot go above the monitor's own hard limit.
    nofile: t.nofile === undefined ? null : int(t, "nofile", path, e, 16, 1_048_576, 1_024),
    env: envTable(t, path, e),
    output: oneOf(t, "output", path, e, ["inherit", "log"] as const, "inherit"),
    // At most 64 MiB: rotation copies the file on the monitor's loop (about 30 ms for 64 MiB here).
    logMaxBytes: int(t, "log_max_bytes", path, e, 4_096, 67_108_864, 1_048_576),
    logKeep: int(t, "log_keep", path, e, 1, 100, 2),
    checks: list(t, "check", e, path).map((ct, i) => check(ct, `${path}.check[${i}]`, e)),
    busyMaxMs: int(t, "busy_max_ms", path, e, 0, DAY_MS, DEFAULT_BUSY_MAX_MS),
    policy: policyFrom(t, path, base, e, true),
  };
  if (c.start && c.pidfile && c.ready !== "pidfile") e.add(`${path}`, "give start (hamon owns the daemon) or pidfile (attach), not both; or both with ready = \"pidfile\" (a forking daemon)");
  if (c.ready === "pidfile" && !c.pidfile) e.add(`${path}.pidfile`, "is required with ready = \"pidfile\"");
  if (c.ready !== "registered") {
    // A plain daemon says nothing: only checks the monitor runs itself can watch it. (A start given but invalid is its own error, said once.)
    if (t.start === undefined) e.add(`${path}.ready`, "is for daemons hamon starts (give start)", c.ready);
    for (const [i, ch] of c.checks.entries()) if (!ch.run) e.add(`${path}.check[${i}].mode`, `must be probe or exec (or resource) for a daemon that does not register (ready = "${c.ready}")`, ch.mode);
    if (c.ready === "probe" && !c.checks.some((ch) => ch.run && !("resource" in ch.run))) e.add(`${path}.ready`, "\"probe\" needs at least one probe or exec check", c.ready);
  }
  if (c.kind === "dynamic" && c.pidfile) e.add(`${path}.pidfile`, "a dynamic component registers itself when activated; pidfile is for static ones");
  return c;
}

function fastpath(t: Table, path: string, defaults: ComponentPolicy, e: ConfigErrors): FastPathConfig {
  onlyKeys(t, path, ["name", "heartbeat", "start", "stop", "output", "suspect_ms", "dead_ms", "idle_slack_ms", ...POLICY_KEYS], e);
  const suspectMs = int(t, "suspect_ms", path, e, 1, DAY_MS, 50);
  const deadMs = int(t, "dead_ms", path, e, 1, DAY_MS, 250);
  if (deadMs < suspectMs) e.add(`${path}.dead_ms`, `must be ≥ suspect_ms (${suspectMs})`, deadMs);
  return {
    name: required(t, "name", path, e),
    heartbeat: t.heartbeat === undefined ? (e.add(`${path}.heartbeat`, "is required (absolute path)"), "") : str(t, "heartbeat", path, e, "", /^\/.+/),
    start: argv(t, "start", path, e),
    stop: argv(t, "stop", path, e),
    output: oneOf(t, "output", path, e, ["inherit", "log"] as const, "inherit"),
    suspectMs, deadMs,
    idleSlackMs: int(t, "idle_slack_ms", path, e, 0, DAY_MS, 50),
    policy: policyFrom(t, path, { ...FAST_PATH_POLICY, ...pick(defaults), plane: "fast", baseLevel: FAST_PATH_POLICY.baseLevel, maxRecommend: FAST_PATH_POLICY.maxRecommend, escalateOnFlap: true }, e, true),
  };
}

/**
 * The owned daemon behind a fast path with `start`: the same name (one
 * registry entry: the watcher judges its cores, the supervisor its process),
 * plane fast, ready once its heartbeat region is attached (ready = "region":
 * a process that never publishes one is down, not green).
 */
function ownedFastPath(f: FastPathConfig): ComponentConfig {
  return {
    name: f.name, kind: "static", plane: "fast", user: null, start: f.start, stop: f.stop, pidfile: null,
    readyTimeoutMs: 10_000, ready: "region", after: [], bindsTo: [], cwd: null, group: null, umask: null, nofile: null, env: {},
    output: f.output, logMaxBytes: 1_048_576, logKeep: 2, checks: [], busyMaxMs: 0, policy: f.policy,
  };
}

/** Names a daemon's environment may not set: hamon's own, and what would inject code into a Bun or ld.so child (security/env.ts). */
const envReserved = (k: string) => k.startsWith("HAMON_") || injectsCode(k);

/** `env = { NAME = "value" }`: string values, POSIX names, none reserved. */
function envTable(t: Table, path: string, e: ConfigErrors): Record<string, string> {
  const v = t.env;
  if (v === undefined) return {};
  if (!isTable(v)) {
    e.add(`${path}.env`, "must be a table of NAME = \"value\"", v);
    return {};
  }
  const out: Record<string, string> = Object.create(null);
  for (const [k, x] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) e.add(`${path}.env`, "names must be [A-Za-z_][A-Za-z0-9_]*", k);
    else if (envReserved(k)) e.add(`${path}.env.${k}`, "is reserved (hamon's own, or code injection into the child)", k);
    else if (typeof x !== "string") e.add(`${path}.env.${k}`, "must be a string", x);
    else out[k] = x;
  }
  return out;
}

/** An array of component names (`after`, `binds_to`); [] when absent. */
function nameList(t: Table, key: string, path: string, e: ConfigErrors): string[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && COMPONENT_NAME_RE.test(x))) {
    e.add(`${path}.${key}`, "must be an array of component names", v);
    return [];
  }
  return v as string[];
}

