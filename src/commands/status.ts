/**
 * `hamon status [NAME]`: the monitor's view. A table on a terminal (coloured
 * unless NO_COLOR), tab-separated columns when piped, or --json / --xml.
 * Exit: 0 all up and healthy, 3 any down or failed, 4 unknown (LSB).
 */
import { defineCommand } from "citty";
import { UsageError } from "../cli/strict.ts";
import { renderStatusJson, renderStatusPlain, renderStatusTable, renderXml } from "../render/status.ts";
import { jsonArg, lsbCommand, socketArg, STATUS_EXIT, timeoutArg, xmlArg } from "./_shared.ts";
import { out } from "../cli/out.ts";

export default defineCommand({
  meta: { name: "status", description: "Show every component's state and health (a table on a terminal, tab-separated when piped)" },
  args: {
    ...socketArg, ...timeoutArg, ...jsonArg, ...xmlArg,
    table: { type: "boolean", description: "The table even when piped (e.g. under watch)" },
    plain: { type: "boolean", description: "Tab-separated columns even on a terminal" },
    name: { type: "positional", required: false, description: "Only this component" },
  },
  async run({ args }) {
    if ([args.json, args.xml, args.table, args.plain].filter(Boolean).length > 1) throw new UsageError("give at most one of --json, --xml, --table, --plain");
    const r = await lsbCommand("status", args, "status", args.name ?? "");
    if (!r) return STATUS_EXIT.UNKNOWN;
    const tty = process.stdout.isTTY === true;
    const text = args.json ? renderStatusJson(r)
      : args.xml ? renderXml(r)
      : args.plain || (!tty && !args.table) ? renderStatusPlain(r)
      : renderStatusTable(r, tty && !process.env.NO_COLOR);
    out(text);
    return r.components.some((c) => c.state === "down" || c.health === "failed") ? STATUS_EXIT.NOT_RUNNING : STATUS_EXIT.OK;
  },
});
