/** `hamon heartbeat PATH`: validate a fast path's heartbeat region and show each core. Exit 0 healthy, 1 a core dead/corrupt/writer gone, 3 region invalid. */
import { defineCommand } from "citty";
import { intArg } from "../cli/strict.ts";
import { inspectRegion } from "../watchdog/inspect.ts";
import { renderInspection } from "../render/heartbeat.ts";
import { jsonArg } from "./_shared.ts";
import { err, out } from "../cli/out.ts";

export default defineCommand({
  meta: { name: "heartbeat", description: "Validate a heartbeat region (docs/heartbeat.md) and show each core's state, verdict and beat age" },
  args: {
    ...jsonArg,
    path: { type: "positional", required: true, description: "Heartbeat file (or memfd symlink)" },
    "dead-ms": { type: "string", description: "No beat this long: dead (default 250)", valueHint: "MS" },
    watch: { type: "string", description: "Watch this long before answering (default: 2 × dead-ms)", valueHint: "MS" },
  },
  async run({ args }) {
    const deadMs = intArg("dead-ms", args["dead-ms"], 1, 600_000, 250);
    const windowMs = intArg("watch", args.watch, 1, 600_000, 2 * deadMs);
    const r = await inspectRegion(args.path, { suspectMs: Math.ceil(deadMs / 5), deadMs, idleSlackMs: 50, pollMs: Math.max(1, Math.floor(deadMs / 25)) }, windowMs);
    const shown = renderInspection(args.path, r, !!args.json);
    out(shown.out);
    err(shown.err);
    return shown.code;
  },
});
