/**
 * The client verbs that act on one component: `restart`, `activate`,
 * `deactivate` (management system, operators), `stop` and `start` (an
 * operator's hold) and `query` (ask a component
 * now and print its answer). Each prints the monitor's one-line answer; errors
 * (unknown name, wrong kind, monitor unreachable) exit with the codes of
 * README §Exit codes. `query` exits 1 when the component answers `failed`.
 */
import { defineCommand } from "citty";
import { QUERY_KINDS, type Verb } from "../protocol/messages.ts";
import { command, jsonArg, socketArg, timeoutArg } from "./_shared.ts";
import { out } from "../cli/out.ts";
import { printableLine } from "../render/table.ts";
import { parseAnswer } from "../protocol/answer.ts";

const nameArg = { name: { type: "positional", required: true, description: "Component name" } } as const;

/** `waitMs`: the default timeout, for a verb answered only once its work is done (`stop` waits for the daemon's stop). */
function verb(v: Verb, description: string, waitMs?: number) {
  return defineCommand({
    meta: { name: v, description },
    args: { ...socketArg, ...timeoutArg, ...jsonArg, ...nameArg },
    async run({ args }) {
      const r = await command({ ...args, timeout: args.timeout ?? (waitMs ? String(waitMs) : undefined) }, v, args.name);
      out(args.json ? `${JSON.stringify({ version: 1, detail: r.detail, components: r.components }, null, 2)}\n` : `${printableLine(r.detail)}\n`);
      return 0;
    },
  });
}

export const restart = verb("restart", "Restart a component now (operator: also clears a flap quarantine)");
export const activate = verb("activate", "Activate a dynamic component: hamon starts it (if it owns it) and expects it to register");
export const deactivate = verb("deactivate", "Deactivate a dynamic component: hamon stops it (if it owns it); its absence is no longer an alarm");
export const stop = verb("stop", "Hold a component (maintenance, as sv down): hamon stops it if it owns it and stops watching it; held across monitor restarts until 'hamon start NAME'", 30_000);
export const start = verb("start", "End an operator's hold: hamon starts the component again (if it owns it) and watches it");

export const reload = defineCommand({
  meta: { name: "reload", description: "Read the monitor's configuration file again and apply it (as SIGHUP): added components start, removed ones stop, changed ones restart; an invalid file changes nothing (exit 1, the errors on stderr)" },
  args: { ...socketArg, ...timeoutArg, ...jsonArg },
  async run({ args }) {
    const r = await command(args, "reload", "");
    out(args.json ? `${JSON.stringify({ version: 1, detail: r.detail }, null, 2)}\n` : `${printableLine(r.detail)}\n`);
    return 0;
  },
});

export const query = defineCommand({
  meta: { name: "query", description: "Ask a component now (health, audit or dump) and print its answer; exit 1 if it answers failed" },
  args: {
    ...socketArg, ...timeoutArg, ...jsonArg, ...nameArg,
    kind: { type: "enum", options: [...QUERY_KINDS.filter((k) => k !== "action")], default: "health", description: "What to ask" },
  },
  async run({ args }) {
    const r = await command({ ...args, timeout: args.timeout ?? "7000" }, "query", args.name, args.kind);
    out(args.json ? `${JSON.stringify({ version: 1, answer: r.detail }, null, 2)}\n` : `${printableLine(r.detail)}\n`);
    return parseAnswer(r.detail).health === "failed" ? 1 : 0;
  },
});
