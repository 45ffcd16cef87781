/**
 * `hamon events`: the decision stream.
 *   hamon events [--last N]   the last N events from events.jsonl in the state
 *                             dir (works while the monitor is down: post-mortem)
 *   hamon events --follow     events as the monitor emits them (subscribe);
 *                             rides through monitor restarts, stops on SIGINT/SIGTERM
 * --json prints JSON Lines (the events.jsonl schema).
 */
import { untilSignal } from "../sys/signals.ts";
import { defineCommand } from "citty";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../cli/exit.ts";
import { intArg } from "../cli/strict.ts";
import { Session } from "../library/session.ts";
import { defaultSocketPath, defaultStateDir } from "../paths.ts";
import { HamonError } from "../protocol/errors.ts";
import { parseEventLog, renderEvent } from "../render/events.ts";
import { jsonArg, socketArg } from "./_shared.ts";
import { err, out } from "../cli/out.ts";

/** Pause between reconnection attempts while following. */
const RETRY_MS = 500;

export default defineCommand({
  meta: { name: "events", description: "Print recent events from the state dir, or --follow the live stream" },
  args: {
    ...socketArg, ...jsonArg,
    follow: { type: "boolean", alias: "f", description: "Stream events as they happen (reconnects across monitor restarts)" },
    last: { type: "string", alias: "n", description: "How many past events to print (default 20)", valueHint: "N" },
    "state-dir": { type: "string", description: "Where events.jsonl is (default as for the monitor)", valueHint: "DIR" },
  },
  async run({ args }) {
    const json = !!args.json;
    if (!args.follow) {
      const dir = args["state-dir"] || defaultStateDir();
      const path = join(dir, "events.jsonl");
      if (!existsSync(path)) {
        err(`hamon events: no ${path} (is --state-dir right?)\n`);
        return EXIT.FAILURE;
      }
      const n = intArg("last", args.last, 1, 1_000_000, 20);
      const cur = parseEventLog(readFileSync(path, "utf8"));
      let events = cur.events;
      const report = (file: string, bad: number[]) => {
        if (bad.length) err(`hamon events: ${file}: ${bad.length} line(s) not an event, skipped (line ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? ", …" : ""})\n`);
      };
      report(path, cur.bad);
      // Just rotated (at 16 MiB): the rest comes from the previous file.
      if (events.length < n && existsSync(`${path}.1`)) {
        const old = parseEventLog(readFileSync(`${path}.1`, "utf8"));
        report(`${path}.1`, old.bad);
        events = [...old.events, ...events];
      }
      for (const e of events.slice(-n)) out(renderEvent(e, json));
      return EXIT.OK;
    }
    const socket = args.socket || defaultSocketPath();
    const stopped = untilSignal(undefined, false).signal.then(() => {});
    let first = true;
    let done = false;
    void stopped.then(() => (done = true));
    while (!done) {
      let closed!: (why: string) => void;
      const lost = new Promise<string>((resolve) => (closed = resolve));
      let s: Session;
      try {
        s = await Session.open(socket, { role: "subscriber", onMessage: (m) => { if (m.type === "event") out(renderEvent(m, json)); }, onClose: (r) => closed(r) });
        await s.request({ type: "subscribe", id: s.nextId() });
      } catch (e) {
        if (first) {
          err(`hamon events: ${(e as Error).message}${e instanceof HamonError ? ` [${e.code}]` : ""}\n`);
          return EXIT.UNAVAILABLE;
        }
        await Promise.race([Bun.sleep(RETRY_MS), stopped]);
        continue;
      }
      if (!first) err("hamon events: reconnected\n");
      first = false;
      const why = await Promise.race([lost, stopped.then(() => "")]);
      s.close();
      if (why) err(`hamon events: monitor connection lost (${why}); reconnecting\n`);
    }
    return EXIT.OK;
  },
});
