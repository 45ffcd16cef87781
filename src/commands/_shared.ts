/** The client-session helpers shared by the client verbs; the shared flags are in src/cli/args.ts (re-exported). */
export { jsonArg, socketArg, timeoutArg, xmlArg } from "../cli/args.ts";
import { intArg } from "../cli/strict.ts";
import { Session } from "../library/session.ts";
import { defaultSocketPath } from "../paths.ts";
import type { MessageOf, Verb } from "../protocol/messages.ts";
import { HamonError } from "../protocol/errors.ts";
import { err } from "../cli/out.ts";


/** Default client deadline: keeps a cron job from hanging on a stuck monitor. */
export const CLIENT_TIMEOUT_MS = 5_000;

/** Opens a client session, sends one command, closes; the monitor's `result`. Rejects with E_UNAVAILABLE / E_TIMEOUT, or E_STATE for any other reply. */
export async function command(args: { socket?: string | undefined; timeout?: string | undefined }, verb: Verb, target = "", kind = ""): Promise<MessageOf<"result">> {
  const timeoutMs = intArg("timeout", args.timeout, 1, 600_000, CLIENT_TIMEOUT_MS);
  const s = await Session.open(args.socket || defaultSocketPath(), { role: "client", timeoutMs });
  try {
    const r = await s.request({ type: "command", id: s.nextId(), verb, target, kind }, timeoutMs);
    if (r.type !== "result") throw new HamonError("E_STATE", `unexpected <${r.type}> reply`);
    return r;
  } finally {
    s.close();
  }
}

/** LSB exit codes of the verbs that report state (status, show): 0 running, 3 not running, 4 unknown. */
export const STATUS_EXIT = { OK: 0, NOT_RUNNING: 3, UNKNOWN: 4 } as const;

/** `command` for status and show: a monitor that does not answer (or an unknown name) is one line on stderr and null (exit 4), not an error. */
export async function lsbCommand(name: string, args: { socket?: string | undefined; timeout?: string | undefined }, verb: Verb, target: string): Promise<MessageOf<"result"> | null> {
  try {
    return await command(args, verb, target);
  } catch (e) {
    if (!(e instanceof HamonError)) throw e;
    err(`hamon ${name}: ${e.message} [${e.code}]\n`);
    return null;
  }
}
