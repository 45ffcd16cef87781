/** `hamon status [NAME]`: the monitor's view, as a table or JSON. Exit: 0 all up and healthy, 3 any down or failed, 4 unknown (LSB). */
import { defineCommand } from "citty";
import { HamonError } from "../protocol/errors.ts";
import { renderStatusJson, renderStatusTable } from "../render/status.ts";
import { command, jsonArg, socketArg, timeoutArg } from "./_shared.ts";

export const STATUS_EXIT = { OK: 0, NOT_RUNNING: 3, UNKNOWN: 4 } as const;

export default defineCommand({
  meta: { name: "status", description: "Show every component's state and health" },
  args: { ...socketArg, ...timeoutArg, ...jsonArg, name: { type: "positional", required: false, description: "Only this component" } },
  async run({ args }) {
    let r;
    try {
      r = await command(args, "status", args.name ?? "");
    } catch (e) {
      if (!(e instanceof HamonError)) throw e;
      process.stderr.write(`hamon status: ${e.message} [${e.code}]\n`);
      return STATUS_EXIT.UNKNOWN;
    }
    if (r.type !== "result") throw new HamonError("E_STATE", `unexpected <${r.type}> reply`);
    process.stdout.write(args.json ? renderStatusJson(r) : renderStatusTable(r));
    return r.components.some((c) => c.state === "down" || c.health === "failed") ? STATUS_EXIT.NOT_RUNNING : STATUS_EXIT.OK;
  },
});
