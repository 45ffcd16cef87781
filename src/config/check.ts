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

export type CheckRun = { probe: Probe; send: string; expect: string } | { exec: string[]; codes: ExitCodes };

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

const CONFIG_CHECK_MODES = [...CHECK_MODES, "probe", "exec"] as const;

export function check(t: Table, path: string, e: ConfigErrors): CheckConfig {
  onlyKeys(t, path, ["name", "mode", "period_ms", "timeout_ms", "rise", "fall", "connect", "send", "expect", "argv", "codes"], e);
  const periodMs = int(t, "period_ms", path, e, 10, DAY_MS, 1_000);
  const timeoutMs = int(t, "timeout_ms", path, e, 1, DAY_MS, Math.min(periodMs, 1_000));
  if (timeoutMs > periodMs) e.add(`${path}.timeout_ms`, `must be ≤ period_ms (${periodMs})`, timeoutMs);
  const mode = oneOf(t, "mode", path, e, CONFIG_CHECK_MODES, "query");
  return {
    name: required(t, "name", path, e), mode: mode === "confirm" ? "confirm" : "query", run: checkRun(t, mode, path, e), periodMs, timeoutMs,
    rise: int(t, "rise", path, e, 1, 100, 1), fall: int(t, "fall", path, e, 1, 100, 1),
  };
}

/** The probe or command of a probe/exec check; the keys that belong to another mode are refused. */
function checkRun(t: Table, mode: (typeof CONFIG_CHECK_MODES)[number], path: string, e: ConfigErrors): CheckRun | null {
  const own = mode === "probe" ? ["connect", "send", "expect"] : mode === "exec" ? ["argv", "codes"] : [];
  for (const k of ["connect", "send", "expect", "argv", "codes"]) if (t[k] !== undefined && !own.includes(k)) e.add(`${path}.${k}`, `is not a key of a ${mode} check`, t[k]);
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
