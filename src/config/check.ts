/**
 * `[[component.check]]` → a typed check: its schedule (period, timeout,
 * rise/fall) and, for a check the monitor runs itself, its probe or command.
 */
import { CHECK_MODES, type CheckMode } from "../protocol/messages.ts";
import { parseProbe, type Probe } from "./probe-spec.ts";
import { argv, ConfigErrors, DAY_MS, int, oneOf, onlyKeys, required, str, type Table } from "./validate.ts";

/**
 * What the monitor itself runs for a check that needs no library: a connect
 * probe (optionally sending bytes and expecting some back within the check's
 * timeout: what catches a hung daemon whose socket still accepts) or a
 * command (argv; its exit status read as the shell does, 0 ok and anything
 * else failed, or with `codes = "nagios"` as a monitoring plugin's: 0 ok,
 * 1 degraded, 2 and 3 failed).
 */
/** How an exec check's exit status reads: the shell's (0 ok, else failed) or a Nagios plugin's (0 ok, 1 degraded, else failed). */
export type ExitCodes = "shell" | "nagios";

/** A resource check's limits (null: not checked) and what being over one means. */
export interface ResourceRun {
  readonly resource: { readonly rssMaxBytes: number | null; readonly fdsMaxPct: number | null; readonly threadsMax: number | null; readonly cpuMaxPct: number | null };
  readonly action: "restart" | "degrade";
}

/** What a process outside the monitor answers: a connect probe or a command (probes/runner.ts). */
export type ExternalRun = { probe: Probe; send: string; expect: string } | { exec: string[]; codes: ExitCodes };

export type CheckRun = ExternalRun | ResourceRun;

export interface CheckConfig {
  name: string;
  /** The schedule: probe and exec checks are scheduled like query checks (the monitor asks, here itself). */
  mode: CheckMode;
  /** Set for probe and exec checks: the monitor runs them, the component says nothing. */
  run: CheckRun | null;
  periodMs: number;
  timeoutMs: number;
  /** Consecutive passes before failed → ok. */
  rise: number;
  /** Consecutive failures before ok → failed. */
  fall: number;
}

const CONFIG_CHECK_MODES = [...CHECK_MODES, "probe", "exec", "resource"] as const;
const RESOURCE_KEYS = ["rss_max", "fds_max_pct", "threads_max", "cpu_max_pct", "action"];

export function check(t: Table, path: string, e: ConfigErrors): CheckConfig {
  onlyKeys(t, path, ["name", "mode", "period_ms", "timeout_ms", "rise", "fall", "connect", "send", "expect", "argv", "codes", ...RESOURCE_KEYS], e);
  const periodMs = int(t, "period_ms", path, e, 10, DAY_MS, 1_000);
  const timeoutMs = int(t, "timeout_ms", path, e, 1, DAY_MS, Math.min(periodMs, 1_000));
  if (timeoutMs > periodMs) e.add(`${path}.timeout_ms`, `must be ≤ period_ms (${periodMs})`, timeoutMs);
  const mode = oneOf(t, "mode", path, e, CONFIG_CHECK_MODES, "query");
  return {
    name: required(t, "name", path, e), mode: mode === "confirm" ? "confirm" : "query", run: checkRun(t, mode, path, e), periodMs, timeoutMs,
    rise: int(t, "rise", path, e, 1, 100, 1), fall: int(t, "fall", path, e, 1, 100, 1),
  };
}

/** `rss_max` ("200MiB", "512KiB", "1GiB", or bytes), `fds_max_pct`, `threads_max`, `cpu_max_pct`: at least one; `action` restart (default) or degrade. */
function resourceRun(t: Table, path: string, e: ConfigErrors): ResourceRun | null {
  const opt = (k: string, min: number, max: number) => (t[k] === undefined ? null : int(t, k, path, e, min, max, min));
  const r = { rssMaxBytes: t.rss_max === undefined ? null : size(t.rss_max, `${path}.rss_max`, e), fdsMaxPct: opt("fds_max_pct", 1, 100), threadsMax: opt("threads_max", 1, 1_000_000), cpuMaxPct: opt("cpu_max_pct", 1, 100_000) };
  if (Object.values(r).every((v) => v === null)) e.add(path, "a resource check needs at least one of rss_max, fds_max_pct, threads_max, cpu_max_pct");
  return { resource: r, action: oneOf(t, "action", path, e, ["restart", "degrade"] as const, "restart") };
}

const UNITS: ReadonlyMap<string, number> = new Map([["", 1], ["B", 1], ["KiB", 2 ** 10], ["MiB", 2 ** 20], ["GiB", 2 ** 30]]);

function size(v: unknown, at: string, e: ConfigErrors): number | null {
  if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return v;
  const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/.exec(v.trim()) : null;
  if (!m || Number(m[1]) <= 0) {
    e.add(at, "must be a size: bytes, or a number with KiB, MiB or GiB (\"200MiB\")", v);
    return null;
  }
  return Math.round(Number(m[1]) * UNITS.get(m[2] ?? "")!);
}

/** The probe or command of a probe/exec check; the keys that belong to another mode are refused. */
function checkRun(t: Table, mode: (typeof CONFIG_CHECK_MODES)[number], path: string, e: ConfigErrors): CheckRun | null {
  const own = mode === "probe" ? ["connect", "send", "expect"] : mode === "exec" ? ["argv", "codes"] : mode === "resource" ? RESOURCE_KEYS : [];
  for (const k of ["connect", "send", "expect", "argv", "codes", ...RESOURCE_KEYS]) if (t[k] !== undefined && !own.includes(k)) e.add(`${path}.${k}`, `is not a key of a ${mode} check`, t[k]);
  if (mode === "resource") return resourceRun(t, path, e);
  if (mode === "exec") {
    const a = argv(t, "argv", path, e);
    if (!a && t.argv === undefined) e.add(`${path}.argv`, "is required for an exec check");
    return a ? { exec: a, codes: oneOf(t, "codes", path, e, ["shell", "nagios"] as const, "shell") } : null;
  }
  if (mode !== "probe") return null;
  if (t.connect === undefined) e.add(`${path}.connect`, "is required for a probe check");
  const spec = t.connect === undefined ? "" : str(t, "connect", path, e, "");
  let probe: Probe | null = null;
  try {
    probe = spec ? parseProbe(spec) : null;
  } catch (err) {
    e.add(`${path}.connect`, (err as Error).message, spec);
  }
  const send = t.send === undefined ? "" : str(t, "send", path, e, "");
  const expect = t.expect === undefined ? "" : str(t, "expect", path, e, "");
  return probe ? { probe, send, expect } : null;
}
