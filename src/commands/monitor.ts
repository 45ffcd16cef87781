/**
 * `hamon monitor`: run the monitoring daemon in the foreground until
 * SIGTERM/SIGINT. `--config FILE` (TOML, docs in README §Configuration),
 * `--check-config FILE` validates and exits (0 valid, 78 invalid), `--demo`
 * runs the embedded demo appliance (what `npm start` does). Exits 75 when
 * another monitor holds the lock for the socket.
 */
import { defineCommand } from "citty";
import { EXIT } from "../protocol/exit.ts";
import { daemonArgs, daemonOptions, loadConfig, loggerFor, type DaemonArgValues } from "../cli/daemon.ts";
import { runDaemon } from "../monitor/daemon.ts";
import { failWith, out } from "../cli/out.ts";
import { refuseInjectedEnv } from "../security/env.ts";

export default defineCommand({
  meta: { name: "monitor", description: "Run the monitoring daemon (foreground)" },
  args: {
    ...daemonArgs,
    "check-config": { type: "string", description: "Validate this configuration file and exit (0 valid, 78 invalid)", valueHint: "FILE" },
  },
  async run({ args }) {
    const a = args as DaemonArgValues & { "check-config"?: string };
    const log = loggerFor(a);
    const refused = a["check-config"] ? null : refuseInjectedEnv("monitor");
    if (refused) return failWith(refused, EXIT.CONFIG);
    if (a["check-config"]) {
      const c = loadConfig(a["check-config"], log, true);
      if (!c) return EXIT.CONFIG;
      const owned = c.fastpaths.filter((f) => f.start).length; // an owned fast path is also listed among the components
      out(`${a["check-config"]}: valid (${c.components.length - owned} components, ${c.fastpaths.length} fast paths${owned ? `, ${owned} owned` : ""})\n`);
      return 0;
    }
    const o = daemonOptions(a, log);
    return o ? runDaemon(o) : EXIT.CONFIG;
  },
});
