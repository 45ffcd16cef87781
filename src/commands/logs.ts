/**
 * `hamon logs NAME [--lines N] [--follow]`: a plain daemon's stdout and stderr
 * (`output = "log"`), read from the state dir: works with the monitor down.
 * --follow prints what is appended, across rotations, until SIGINT/SIGTERM.
 */
import { defineCommand } from "citty";
import { accessSync, constants } from "node:fs";
import { printableLine } from "../render/table.ts";
import { EXIT } from "../protocol/exit.ts";
import { intArg, UsageError } from "../cli/strict.ts";
import { failWith, out } from "../cli/out.ts";
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
    raw: { type: "boolean", description: "Print control characters and escape sequences as the daemon wrote them (default: escaped)" },
    "state-dir": { type: "string", description: "Where logs/ is (default as for the monitor)", valueHint: "DIR" },
  },
  async run({ args }) {
    if (!COMPONENT_NAME_RE.test(args.name)) throw new UsageError(`NAME must match ${COMPONENT_NAME_RE.source}`);
    const path = logPath(args["state-dir"] || defaultStateDir(), args.name);
    try {
      accessSync(path, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? `no ${path} (output = "log" for ${args.name}? is --state-dir right?)` : code === "EACCES" ? `${path}: permission denied (EACCES: the logs are root's; run as root)` : `${path}: ${code}`;
      return failWith(`hamon logs: ${why}\n`, EXIT.FAILURE);
    }
    // A daemon's bytes reach the terminal only through the escaping renderer (a title change, a clipboard write…), unless --raw.
    const show = args.raw ? (s: string) => s : (s: string) => s.split("\n").map(printableLine).join("\n");
    for (const l of tailLog(path, intArg("lines", args.lines, 0, 1_000_000, 50))) out(`${show(l)}\n`);
    if (args.follow) await followLog(path, (s) => out(show(s)), untilSignal(undefined, false).signal);
    return EXIT.OK;
  },
});
