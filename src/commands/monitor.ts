/**
 * `hamon monitor`: run the monitoring daemon in the foreground until
 * SIGTERM/SIGINT. `--config FILE` (TOML, docs in README §Configuration),
 * `--check-config FILE` validates and exits (0 valid, 78 invalid), `--demo`
 * runs the embedded demo appliance (what `npm start` does).
 */
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { EXIT } from "../cli/exit.ts";
import { DEFAULT_CONFIG, parseConfig, type MonitorConfig } from "../config/config.ts";
import { demoConfig } from "../demo/demo.ts";
import { createLogger, type Logger } from "../log.ts";
import { runDaemon } from "../monitor/daemon.ts";
import { defaultSocketPath, defaultStateDir } from "../paths.ts";
import { socketArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "monitor", description: "Run the monitoring daemon (foreground)" },
  args: {
    ...socketArg,
    config: { type: "string", alias: "c", description: "Configuration file (TOML); without it, the built-in default", valueHint: "FILE" },
    "check-config": { type: "string", description: "Validate this configuration file and exit (0 valid, 78 invalid)", valueHint: "FILE" },
    "state-dir": { type: "string", description: "Journal, events.jsonl and flight records (default /var/lib/hamon as root)", valueHint: "DIR" },
    "dry-run": { type: "boolean", description: "Decide and record, but never restart or run level hooks" },
    demo: { type: "boolean", description: "Run the embedded demo appliance (what `npm start` does)" },
    "log-format": { type: "enum", options: ["text", "json"], description: "Diagnostics format on stderr", default: "text" },
    "log-level": { type: "enum", options: ["debug", "info", "warn", "error"], description: "Least severe level logged", default: "info" },
  },
  async run({ args }) {
    const log = createLogger({ format: args["log-format"] as "text" | "json", minLevel: args["log-level"] as "info" });
    if (args["check-config"]) {
      const c = load(args["check-config"], log);
      if (!c) return EXIT.CONFIG;
      process.stdout.write(`${args["check-config"]}: valid (${c.components.length} components, ${c.fastpaths.length} fast paths)\n`);
      return 0;
    }
    let config = args.demo ? demoConfig() : args.config ? load(args.config, log) : DEFAULT_CONFIG;
    if (!config) return EXIT.CONFIG;
    if (args["dry-run"]) config = { ...config, dryRun: true };
    const socketPath = args.socket || config.socket || defaultSocketPath();
    const stateDir = args["state-dir"] || config.stateDir || defaultStateDir();
    return runDaemon({ config, socketPath, stateDir, log });
  },
});

function load(path: string, log: Logger): MonitorConfig | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    log("error", "cannot read the configuration", { path, error: (e as Error).message });
    return null;
  }
  const r = parseConfig(text);
  if (r.ok) return r.config;
  for (const err of r.errors) process.stderr.write(`${path}: ${err}\n`);
  return null;
}
