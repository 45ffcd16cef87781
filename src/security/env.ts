/**
 * Environment variables that inject code into a Bun program, the compiled
 * hamon binary included: BUN_OPTIONS is read by the runtime before our code
 * runs (`BUN_OPTIONS="--preload x.js"` runs x.js first), and BUN_BE_BUN=1
 * turns the binary into the bun CLI (our code never runs at all). Neither can
 * be switched off from inside the program (Bun 1.4); NODE_OPTIONS is listed
 * for the same reason. So: the daemons (monitor, sidecar, guardian) refuse
 * to start when one is set — by then a preload has run, but it will not run
 * as a root daemon for long — and every process hamon starts gets an
 * environment without them. `.env` and `bunfig.toml` in the working
 * directory are not read: build.ts compiles with autoload off (tested).
 */
import { injectsCode } from "../config/env-vars.ts";

export const INJECTION_VARS = ["BUN_OPTIONS", "BUN_BE_BUN", "NODE_OPTIONS"] as const;

export function injectedVars(env: Record<string, string | undefined> = process.env): string[] {
  return INJECTION_VARS.filter((k) => env[k] !== undefined);
}

/** A copy of `env` without the variables that load code, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}, env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !injectsCode(k)) out[k] = v;
  return { ...out, ...extra };
}

/** The PATH a daemon run as a user starts with (nothing of root's environment reaches it). */
export const SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A clean environment for a daemon run as a user: PATH, HOME, USER, LOGNAME, then `extra` (its `env` and hamon's variables). */
export function cleanEnv(user: { name: string; home: string }, extra: Record<string, string>): Record<string, string> {
  return { PATH: SAFE_PATH, HOME: user.home, USER: user.name, LOGNAME: user.name, ...extra };
}

/** For daemon modes: a one-line refusal naming the variables, or null. */
export function refuseInjectedEnv(mode: string): string | null {
  const set = injectedVars();
  return set.length ? `hamon ${mode}: refusing to run with ${set.join(", ")} set: the Bun runtime honours ${set.length > 1 ? "them" : "it"} (code injection); unset ${set.length > 1 ? "them" : "it"} (systemd: UnsetEnvironment=)\n` : null;
}
