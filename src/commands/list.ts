/** `hamon list`: one line per component, `NAME STATE HEALTH`, for scripts (or --json / --xml). */
import { defineCommand } from "citty";
import { UsageError } from "../cli/strict.ts";
import { renderList, renderStatusJson, renderXml } from "../render/status.ts";
import { command, jsonArg, socketArg, timeoutArg, xmlArg } from "./_shared.ts";
import { out } from "../cli/out.ts";

export default defineCommand({
  meta: { name: "list", description: "List components, one per line: NAME STATE HEALTH" },
  args: { ...socketArg, ...timeoutArg, ...jsonArg, ...xmlArg },
  async run({ args }) {
    if (args.json && args.xml) throw new UsageError("give at most one of --json, --xml");
    const r = await command(args, "list");
    out(args.json ? renderStatusJson(r) : args.xml ? renderXml(r) : renderList(r));
    return 0;
  },
});
