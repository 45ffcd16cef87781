/** `hamon heartbeat PATH`: validate a fast path's heartbeat region and show each core. Exit 0 healthy, 1 a core dead/corrupt/writer gone, 3 region invalid. */
import { defineCommand } from "citty";
import { existsSync, readlinkSync } from "node:fs";
import { intArg } from "../cli/strict.ts";
import { inspectRegion } from "../watchdog/inspect.ts";
import { renderCores } from "../render/cores.ts";
import { jsonArg } from "./_shared.ts";
import { err, out } from "../cli/out.ts";

function deadMemfdWriter(path: string): number | null {
  try {
    const m = /^\/proc\/([1-9][0-9]*)\/fd\/[0-9]+$/.exec(readlinkSync(path));
    return m && !existsSync(`/proc/${m[1]}`) ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export const HEARTBEAT_EXIT = { OK: 0, UNHEALTHY: 1, INVALID: 3 } as const;

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
    if (args.json) out(`${JSON.stringify({ version: 1, ...r }, null, 2)}\n`);
    if (r.invalid !== null) {
      // A memfd goes with its writer: a link to /proc/PID/fd/N whose PID is gone is a dead writer, not a bad region.
      const gone = deadMemfdWriter(args.path);
      if (gone !== null) {
        err(`hamon heartbeat: ${args.path}: writer-gone: writer pid ${gone} is gone (its memfd went with it)\n`);
        return HEARTBEAT_EXIT.UNHEALTHY;
      }
      err(`hamon heartbeat: ${args.path}: ${r.invalid}\n`);
      return HEARTBEAT_EXIT.INVALID;
    }
    if (!args.json) {
      const h = r.header!;
      out(`${args.path}: ${h.slotCount} cores, writer pid ${h.writerPid}, instance ${h.instanceId}, ${r.sealed ? "sealed memfd" : "unsealed file"}\n${renderCores(r.cores)}`);
    }
    return r.cores.some((c) => c.verdict === "dead" || c.verdict === "corrupt" || c.verdict === "writer-gone") ? HEARTBEAT_EXIT.UNHEALTHY : HEARTBEAT_EXIT.OK;
  },
});
