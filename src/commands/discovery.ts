/** `hamon discovery --once`: make sure a monitor answers. Exit 0 one was running, 3 started one, 1 could not. */
import { defineCommand } from "citty";
import { UsageError } from "../cli/strict.ts";
import { discoverOnce } from "../discovery/once.ts";
import { defaultSocketPath } from "../paths.ts";
import { socketArg } from "./_shared.ts";

export const DISCOVERY_EXIT = { RUNNING: 0, FAILED: 1, STARTED: 3 } as const;

export default defineCommand({
  meta: { name: "discovery", description: "Guard the monitor: --once checks it answers and starts one if not (for cron)" },
  args: { ...socketArg, once: { type: "boolean", description: "Check once and exit (the only mode in this release)" } },
  async run({ args }) {
    if (!args.once) throw new UsageError("only --once is available in this release");
    const r = await discoverOnce(args.socket || defaultSocketPath());
    if (r.kind === "running") return DISCOVERY_EXIT.RUNNING;
    if (r.kind === "started") {
      process.stdout.write(`started monitor pid ${r.pid}, answering after ${r.ms} ms\n`);
      return DISCOVERY_EXIT.STARTED;
    }
    process.stderr.write(`hamon discovery: ${r.reason}\n`);
    return DISCOVERY_EXIT.FAILED;
  },
});
