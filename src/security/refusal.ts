/**
 * Refusing a connection so the refused peer can read why.
 *
 * Sending E_LIMIT and closing in the same turn loses the error: the peer's
 * runtime sees its fresh connection already hung up and reports a failed
 * connect (Bun does, with the E_LIMIT bytes unread in its buffer). So a
 * refused connection stays open until the peer has said something (its
 * hello: by then it is reading) or `lingerMs` passes, whichever comes first.
 * At most `max` linger at once; past that a refusal closes at once (the
 * peer sees a bare close), so a connection flood cannot pile up descriptors.
 */
import type { Peer, PeerHandler } from "../transport/peer.ts";

export const LINGER_MS = 200;
export const MAX_LINGERING = 64;

export class Refusals {
  private lingering = 0;

  constructor(private readonly lingerMs = LINGER_MS, private readonly max = MAX_LINGERING) {}

  /** Sends the error, and returns the handler that closes the peer (or has closed it). */
  refuse(peer: Peer, code: "E_LIMIT", message: string): PeerHandler {
    peer.send({ type: "error", id: 0, code, message });
    const why = `${code}: ${message}`;
    if (this.lingering >= this.max) {
      peer.close(why);
      return { message: () => {}, close: () => {} };
    }
    this.lingering++;
    const timer = setTimeout(() => peer.close(why), this.lingerMs);
    return {
      message: (p) => p.close(why),
      close: () => {
        clearTimeout(timer);
        this.lingering--;
      },
    };
  }

  get count(): number {
    return this.lingering;
  }
}
