/**
 * What selects and shapes a monitor, from the command line: the flags
 * (`hamon monitor`, `hamon discovery`, the OCF agent), the configuration
 * loaded and validated once the same way for --check-config and start-up,
 * and the argv a guardian uses to start a monitor again.
 */
import { startErrors } from "../process/preflight.ts";
import type { ArgsDef } from "citty";
import { readFileSync } from "node:fs";
import { DEFAULT_CONFIG, parseConfig, type MonitorConfig } from "../config/config.ts";
import { demoConfig } from "../demo/demo.ts";
import { createLogger, type Logger } from "../log.ts";
import type { DaemonOptions } from "../monitor/daemon.ts";
import { defaultSocketPath, defaultStateDir } from "../paths.ts";
import { resolvePolicy } from "../security/policy.ts";
import { gidOf, uidOf } from "../sys/accounts.ts";
import { hardNofile } from "../sys/fdlimit.ts";
import { socketArg } from "./args.ts";
import { err } from "./out.ts";

/** What selects and shapes a monitor: shared with `hamon discovery`, which starts or becomes one. */
export const daemonArgs: ArgsDef = {
  ...socketArg,
  config: { type: "string", alias: "c", description: "Configuration file (TOML); without it, the built-in default", valueHint: "FILE" },
  "state-dir": { type: "string", description: "Journal, events.jsonl and flight records (default /var/lib/hamon as root)", valueHint: "DIR" },
  "dry-run": { type: "boolean", description: "Decide and record, but never restart or run level hooks" },
  demo: { type: "boolean", description: "Run the embedded demo appliance (what `npm start` does)" },
  "log-format": { type: "enum", options: ["text", "json"], description: "Diagnostics format on stderr", default: "text" },
  "log-level": { type: "enum", options: ["debug", "info", "warn", "error"], description: "Least severe level logged", default: "info" },
};

/** The parsed values of daemonArgs (citty gives them untyped once the def is an ArgsDef). */
export type DaemonArgValues = { socket?: string; config?: string; "state-dir"?: string; "dry-run"?: boolean; demo?: boolean; "log-format"?: string; "log-level"?: string };

export function loggerFor(args: DaemonArgValues): Logger {
  return createLogger({ format: (args["log-format"] ?? "text") as "text" | "json", minLevel: (args["log-level"] ?? "info") as "info" });
}

/** Config, socket and state dir from the flags; null (errors printed) when the config is invalid. */
export function daemonOptions(args: DaemonArgValues, log: Logger): DaemonOptions | null {
  let config = args.demo ? demoConfig() : args.config ? loadConfig(args.config, log) : DEFAULT_CONFIG;
  if (!config) return null;
  if (args["dry-run"]) config = { ...config, dryRun: true };
  const socketPath = args.socket || config.socket || defaultSocketPath();
  const stateDir = args["state-dir"] || config.stateDir || defaultStateDir();
  // Reload reads the same file again, with the same flags (dry run stays dry run).
  const path = args.demo ? undefined : args.config;
  const reread = path ? () => {
    const r = readConfig(path);
    return r.ok && args["dry-run"] ? { ok: true as const, config: { ...r.config, dryRun: true } } : r;
  } : undefined;
  return { config, socketPath, stateDir, log, ...(reread ? { reread } : {}) };
}

/** The same flags again, for a `hamon monitor` started by a guardian. */
export function daemonArgv(args: DaemonArgValues, socketPath: string): string[] {
  const out = ["monitor", "--socket", socketPath];
  if (args.config) out.push("--config", args.config);
  if (args["state-dir"]) out.push("--state-dir", args["state-dir"]);
  if (args["dry-run"]) out.push("--dry-run");
  if (args.demo) out.push("--demo");
  if (args["log-format"]) out.push("--log-format", args["log-format"]);
  if (args["log-level"]) out.push("--log-level", args["log-level"]);
  return out;
}


function resolveErrors(c: MonitorConfig): string[] {
  const r = resolvePolicy(c, process.getuid?.() ?? 0, (n) => uidOf(n), (n) => gidOf(n), hardNofile());
  return r.ok ? [] : r.errors;
}

/**
 * Reads and validates a configuration file; null (every error printed, naming
 * key and value) when invalid. `preflight` (--check-config): also each
 * daemon's program (process/preflight.ts).
 */
export function loadConfig(path: string, log: Logger, preflight = false): MonitorConfig | null {
  const r = readConfig(path, preflight);
  if (r.ok) return r.config;
  if (r.unreadable) log("error", "cannot read the configuration", { path, error: r.errors[0]! });
  else for (const e of r.errors) err(`${path}: ${e}\n`);
  return null;
}

/**
 * One validation for --check-config, start-up and reload: the syntax and
 * values, then the names resolved as the monitor will (users and groups must
 * exist), so "valid" means it starts.
 */
export function readConfig(path: string, preflight = false): { ok: true; config: MonitorConfig } | { ok: false; errors: string[]; unreadable?: boolean } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { ok: false, errors: [(e as Error).message], unreadable: true };
  }
  const r = parseConfig(text);
  const errors = r.ok ? [...resolveErrors(r.config), ...(preflight ? startErrors(r.config) : [])] : r.errors;
  return r.ok && errors.length === 0 ? { ok: true, config: r.config } : { ok: false, errors };
}

/** `hamon discovery`: the monitor's flags (passed to the monitor it starts or becomes) and its own. */
export const discoveryArgs = {
  ...daemonArgs,
  once: { type: "boolean", description: "Check once and exit (0 running, 3 started, 4 hung, 5 replaced, 1 failed)" },
  standby: { type: "boolean", description: "When the monitor dies, become the monitor in this process" },
  "kill-hung": { type: "boolean", description: "With --once: kill a lock holder that does not answer, then start a new monitor" },
  timeout: { type: "string", alias: "t", description: "With --once: how long the monitor gets to answer (default 2000)", valueHint: "MS" },
  "hang-ms": { type: "string", description: "Guardian: a monitor silent this long is hung and killed (default 10000)", valueHint: "MS" },
  "ping-ms": { type: "string", description: "Guardian: ping period (default 1000)", valueHint: "MS" },
} as const satisfies ArgsDef;
