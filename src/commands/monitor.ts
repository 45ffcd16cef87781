/** `hamon monitor`: run the monitoring daemon in the foreground until SIGTERM/SIGINT. */
import { defineCommand } from "citty";
import { createLogger } from "../log.ts";
import { startMonitorServer } from "../monitor/server.ts";
import { defaultSocketPath } from "../paths.ts";
import { socketArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "monitor", description: "Run the monitoring daemon (foreground)" },
  args: {
    ...socketArg,
    "log-format": { type: "enum", options: ["text", "json"], description: "Diagnostics format on stderr", default: "text" },
    "log-level": { type: "enum", options: ["debug", "info", "warn", "error"], description: "Least severe level logged", default: "info" },
  },
  async run({ args }) {
    const log = createLogger({ format: args["log-format"] as "text" | "json", minLevel: args["log-level"] as "info" });
    const server = await startMonitorServer({ socketPath: args.socket || defaultSocketPath(), log });
    const signal = await new Promise<string>((resolve) => {
      for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(s, () => resolve(s));
    });
    log("info", "stopping", { signal });
    server.stop();
    return 0;
  },
});
