/**
 * Following the monitor's event stream as an HA framework does: subscribe,
 * and when the monitor goes away (a restart, a crash), reconnect and
 * subscribe again, until `stopped` resolves. Events carry `seq`, unique
 * across monitor restarts (docs/protocol.md §5.3): a reconnection subscribes
 * `since` the last one seen, so what the monitor said meanwhile (a new
 * monitor's first events, said before any follower could reconnect) is
 * replayed, not lost.
 *
 * @example
 *   await followEvents(socket, (e) => print(e), (note) => warn(note), untilSignal().signal);
 */
import { HamonError } from "../protocol/errors.ts";
import type { MessageOf } from "../protocol/messages.ts";
import { Session } from "./session.ts";

/** Pause between reconnection attempts while following. */
export const FOLLOW_RETRY_MS = 500;

export type FollowOutcome = { ok: true } | { ok: false; error: string };

/**
 * `since` (a seq): the first subscription replays the held events above it too.
 * Resolves when `stopped` does, or at once with the error when the very first
 * connection fails (nothing to follow). Later losses are reported through
 * `note` and retried every FOLLOW_RETRY_MS.
 */
export async function followEvents(socket: string, onEvent: (e: MessageOf<"event">) => void, note: (line: string) => void, stopped: Promise<unknown>, since = -1): Promise<FollowOutcome> {
  let first = true;
  let done = false;
  let last = since; // -1: live only at first; then always since the last event seen
  void stopped.then(() => (done = true));
  while (!done) {
    let closed!: (why: string) => void;
    const lost = new Promise<string>((resolve) => (closed = resolve));
    let s: Session;
    try {
      s = await Session.open(socket, { role: "subscriber", onMessage: (m) => { if (m.type === "event") { last = m.seq; onEvent(m); } }, onClose: (r) => closed(r) });
      await s.request(last < 0 ? { type: "subscribe", id: s.nextId() } : { type: "subscribe", id: s.nextId(), since: last });
    } catch (e) {
      if (first) return { ok: false, error: `${(e as Error).message}${e instanceof HamonError ? ` [${e.code}]` : ""}` };
      await Promise.race([Bun.sleep(FOLLOW_RETRY_MS), stopped]);
      continue;
    }
    if (!first) note("reconnected");
    first = false;
    const why = await Promise.race([lost, stopped.then(() => "")]);
    s.close();
    if (why) note(`monitor connection lost (${why}); reconnecting`);
  }
  return { ok: true };
}
