/**
 * `hamon check [NAME]`: for cron and Nagios/Icinga. One line, perfdata, exit
 * 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN (src/render/check.ts). A monitor
 * that does not answer within --timeout is UNKNOWN with the reason, never a
 * stack trace or a hang.
 */
import { defineCommand } from "citty";
import { HamonError } from "../protocol/errors.ts";
import { renderCheck, renderCheckUnknown } from "../render/check.ts";
import { command, socketArg, timeoutArg } from "./_shared.ts";
import { out } from "../cli/out.ts";

export default defineCommand({
  meta: { name: "check", description: "Nagios-style check: one status line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" },
  args: { ...socketArg, ...timeoutArg, name: { type: "positional", required: false, description: "Only this component" } },
  async run({ args }) {
    let outcome;
    try {
      const r = await command(args, "status", args.name ?? "");
      outcome = renderCheck(r.components);
    } catch (e) {
      if (!(e instanceof HamonError)) throw e;
      outcome = renderCheckUnknown(`${e.code === "E_NOT_FOUND" ? "" : "monitor: "}${e.message}`);
    }
    out(outcome.line);
    return outcome.code;
  },
});
