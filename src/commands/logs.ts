/**
 * `hamon logs NAME [--lines N] [--follow]`: a plain daemon's stdout and stderr
 * (`output = "log"`), read from the state dir: works with the monitor down.
 * --follow prints what is appended, across rotations, until SIGINT/SIGTERM.
 */
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { EXIT } from "../cli/exit.ts";
import { intArg, UsageError } from "../cli/strict.ts";
import { err, out } from "../cli/out.ts";
import { defaultStateDir } from "../paths.ts";
import { COMPONENT_NAME_RE } from "../protocol/limits.ts";
import { followLog, logPath, tailLog } from "../process/logfile.ts";
import { untilSignal } from "../sys/signals.ts";

export default defineCommand({
  meta: { name: "logs", description: "Print a plain daemon's stdout/stderr (output = \"log\"); --follow to keep printing" },
  args: {
    name: { type: "positional", required: true, description: "Component name" },
    lines: { type: "string", alias: "n", description: "How many past lines (default 50)", valueHint: "N" },
    follow: { type: "boolean", alias: "f", description: "Keep printing what it writes" },
    "state-dir": { type: "string", description: "Where logs/ is (default as for the monitor)", valueHint: "DIR" },
  },
  async run({ args }) {
    if (!COMPONENT_NAME_RE.test(args.name)) throw new UsageError(`NAME must match ${COMPONENT_NAME_RE.source}`);
    const path = logPath(args["state-dir"] || defaultStateDir(), args.name);
    if (!existsSync(path)) return err(`hamon logs: no ${path} (output = "log" for ${args.name}? is --state-dir right?)\n`), EXIT.FAILURE;
    for (const l of tailLog(path, intArg("lines", args.lines, 0, 1_000_000, 50))) out(`${l}\n`);
    if (args.follow) await followLog(path, out, untilSignal(undefined, false).signal);
    return EXIT.OK;
  },
});
