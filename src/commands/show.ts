/**
 * `hamon show NAME`: one component in depth — counters, what the engine would
 * do on its next failure, its checks with recent samples, its recent events
 * and decisions, a fast path's cores. Human text, --json or --xml.
 * Exit: 0 up and not failed, 3 down or failed, 4 unknown: no such component or
 * monitor unreachable (as status, LSB).
 */
import { defineCommand } from "citty";
import { UsageError } from "../cli/strict.ts";
import { HamonError } from "../protocol/errors.ts";
import { renderShow } from "../render/show.ts";
import { renderXml } from "../render/status.ts";
import { jsonArg, lsbCommand, socketArg, STATUS_EXIT, timeoutArg, xmlArg } from "./_shared.ts";
import { out } from "../cli/out.ts";

export default defineCommand({
  meta: { name: "show", description: "One component in depth: counters, checks and recent samples, recent events and decisions" },
  args: { ...socketArg, ...timeoutArg, ...jsonArg, ...xmlArg, name: { type: "positional", required: true, description: "Component name" } },
  async run({ args }) {
    if (args.json && args.xml) throw new UsageError("give at most one of --json, --xml");
    const r = await lsbCommand("show", args, "show", args.name);
    if (!r) return STATUS_EXIT.UNKNOWN;
    const c = r.components[0];
    if (!c) throw new HamonError("E_NOT_FOUND", `no component named '${args.name}'`);
    const tty = process.stdout.isTTY === true;
    out(
      args.json ? `${JSON.stringify({ version: 1, monitor: r.monitor, component: c }, null, 2)}\n`
        : args.xml ? renderXml(r)
        : renderShow(c, r.monitor, tty && !process.env.NO_COLOR),
    );
    return c.state === "down" || c.health === "failed" ? STATUS_EXIT.NOT_RUNNING : STATUS_EXIT.OK;
  },
});
