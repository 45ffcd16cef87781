/** Flags shared by several commands, defined once; and the client-session helper. */
import { intArg } from "../cli/strict.ts";
import { Session } from "../library/session.ts";
import { defaultSocketPath } from "../paths.ts";
import type { Message, Verb } from "../protocol/messages.ts";

export const socketArg = { socket: { type: "string", alias: "s", description: "Monitor socket path (default: $HAMON_SOCKET, /run/hamon/hamon.sock as root)", valueHint: "PATH" } } as const;
export const timeoutArg = { timeout: { type: "string", alias: "t", description: "Give up after this many milliseconds (default 5000)", valueHint: "MS" } } as const;
export const jsonArg = { json: { type: "boolean", description: "Machine-readable JSON (stable, additive schema)" } } as const;
export const xmlArg = { xml: { type: "boolean", description: "The monitor's <result> document (schema: docs/hamon-v1.xsd)" } } as const;

/** Default client deadline: keeps a cron job from hanging on a stuck monitor. */
export const CLIENT_TIMEOUT_MS = 5_000;

/** Opens a client session, sends one command, closes; rejects with E_UNAVAILABLE / E_TIMEOUT. */
export async function command(args: { socket?: string | undefined; timeout?: string | undefined }, verb: Verb, target = "", kind = ""): Promise<Message> {
  const timeoutMs = intArg("timeout", args.timeout, 1, 600_000, CLIENT_TIMEOUT_MS);
  const s = await Session.open(args.socket || defaultSocketPath(), { role: "client", timeoutMs });
  try {
    return await s.request({ type: "command", id: s.nextId(), verb, target, kind }, timeoutMs);
  } finally {
    s.close();
  }
}
