/**
 * `hamon status [NAME]`: the monitor's view. A table on a terminal (coloured
 * unless NO_COLOR), tab-separated columns when piped, or --json / --xml.
 * Exit: 0 all up and healthy, 3 any down or failed, 4 unknown (LSB).
 */
import { defineCommand } from "citty";
import { UsageError } from "../cli/strict.ts";
import { HamonError } from "../protocol/errors.ts";
import { renderStatusJson, renderStatusPlain, renderStatusTable, renderXml } from "../render/status.ts";
import { command, jsonArg, socketArg, timeoutArg, xmlArg } from "./_shared.ts";
import { err, out } from "../cli/out.ts";

export const STATUS_EXIT = { OK: 0, NOT_RUNNING: 3, UNKNOWN: 4 } as const;

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
    let r;
    try {
      r = await command(args, "status", args.name ?? "");
    } catch (e) {
      if (!(e instanceof HamonError)) throw e;
      err(`hamon status: ${e.message} [${e.code}]\n`);
      return STATUS_EXIT.UNKNOWN;
    }
    if (r.type !== "result") throw new HamonError("E_STATE", `unexpected <${r.type}> reply`);
    const tty = process.stdout.isTTY === true;
    const text = args.json ? renderStatusJson(r)
      : args.xml ? renderXml(r)
      : args.plain || (!tty && !args.table) ? renderStatusPlain(r)
      : renderStatusTable(r, tty && !process.env.NO_COLOR);
    out(text);
    return r.components.some((c) => c.state === "down" || c.health === "failed") ? STATUS_EXIT.NOT_RUNNING : STATUS_EXIT.OK;
  },
});
