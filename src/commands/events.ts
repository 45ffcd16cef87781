/**
 * `hamon events`: the decision stream.
 *   hamon events [--last N]   the last N events from events.jsonl in the state
 *                             dir (works while the monitor is down: post-mortem)
 *   hamon events --follow     events as the monitor emits them (subscribe);
 *                             rides through monitor restarts (each reconnection
 *                             replays what was said meanwhile), stops on SIGINT/SIGTERM
 *   hamon events --follow --since SEQ
 *                             first the events the monitor still holds above SEQ
 * --json prints JSON Lines (the events.jsonl schema).
 */
import { defineCommand } from "citty";
import { EXIT } from "../protocol/exit.ts";
import { intArg } from "../cli/strict.ts";
import { err, failWith, out } from "../cli/out.ts";
import { readEventLog } from "../events/log.ts";
import { followEvents } from "../library/follow.ts";
import { defaultSocketPath, defaultStateDir } from "../paths.ts";
import { command } from "./_shared.ts";
import { renderBadLines, renderEvent } from "../render/events.ts";
import { untilSignal } from "../sys/signals.ts";
import { jsonArg, socketArg } from "./_shared.ts";

/** The state directory the monitor at `socket` says it uses; null when none answers (quickly) or it does not say. */
function monitorStateDir(socket: string): Promise<string | null> {
  return command({ socket, timeout: "2000" }, "list").then((r) => r.monitor?.stateDir ?? null, () => null);
}

export default defineCommand({
  meta: { name: "events", description: "Print recent events from the state dir, or --follow the live stream" },
  args: {
    ...socketArg, ...jsonArg,
    follow: { type: "boolean", alias: "f", description: "Stream events as they happen (reconnects across monitor restarts)" },
    since: { type: "string", description: "With --follow: first the events the monitor still holds (its last 1,024) numbered above SEQ (0: all)", valueHint: "SEQ" },
    last: { type: "string", alias: "n", description: "How many past events to print (default 20)", valueHint: "N" },
    "state-dir": { type: "string", description: "Where events.jsonl is (default as for the monitor)", valueHint: "DIR" },
  },
  async run({ args }) {
    if (!args.follow) {
      // The running monitor's own state dir (the demo's is a fresh one each run), else the default.
      const dir = args["state-dir"] || (await monitorStateDir(args.socket || defaultSocketPath())) || defaultStateDir();
      const r = readEventLog(dir, intArg("last", args.last, 1, 1_000_000, 20));
      if (!r) return failWith(`hamon events: no ${dir}/events.jsonl (is --state-dir right?)\n`, EXIT.FAILURE);
      for (const b of r.bad) err(`hamon events: ${renderBadLines(b.file, b.lines)}\n`);
      for (const e of r.events) out(renderEvent(e, !!args.json));
      return EXIT.OK;
    }
    const stop = untilSignal(undefined, false);
    const r = await followEvents(args.socket || defaultSocketPath(), (e) => out(renderEvent(e, !!args.json)), (note) => err(`hamon events: ${note}\n`), stop.signal, intArg("since", args.since, 0, Number.MAX_SAFE_INTEGER, -1));
    return r.ok ? EXIT.OK : (err(`hamon events: ${r.error}\n`), EXIT.UNAVAILABLE);
  },
});
