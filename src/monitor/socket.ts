/**
 * The monitor's socket edge: listens, admits or refuses each connection
 * (descriptor budget, connection limits: E_LIMIT), hands admitted peers to
 * the dispatcher, caps the bytes queued for all peers together, and closes
 * peers that never say hello or trickle a frame (a sweep each second while
 * such a deadline runs).
 */
import type { After, Timer } from "./loop.ts";
import type { Logger } from "../log.ts";
import type { Policy } from "../security/policy.ts";
import { ConnectionLimits } from "../security/limits.ts";
import { MAX_LINGERING, Refusals } from "../security/refusal.ts";
import { connectionBudget, openFds, raiseNofile } from "../sys/fdlimit.ts";
import { peerCred } from "../sys/peercred.ts";
import { OutputBudget } from "../transport/budget.ts";
import type { Peer } from "../transport/peer.ts";
import { listenUnix, type Listener } from "../transport/unix.ts";
import type { Dispatcher, MonitorEvent } from "./dispatch.ts";

export interface SocketEdgeOptions {
  socketPath: string;
  /** Group of the socket and its directory (null: ours). */
  gid: number | null;
  maxConnections: number;
  maxConnectionsPerUid: number;
  policy: Policy;
  log: Logger;
  now: () => number;
  /** The loop's timer (loop.ts): the sweep runs on the monitor's one clock. */
  after: After;
  /** The event fan-out. */
  emit(ev: MonitorEvent): void;
}

export interface SocketEdge {
  readonly listener: Listener;
  /** Stops accepting and closes every peer (the core must be stopping already: these closes are not failures). */
  stop(): void;
}

export async function openSocketEdge(d: Dispatcher, o: SocketEdgeOptions): Promise<SocketEdge> {
  // Never run out of descriptors (a Bun listener at EMFILE spins): admit only what fits with a reserve.
  const softNofile = raiseNofile();
  const lingerMax = Math.min(MAX_LINGERING, Math.max(0, Math.floor((softNofile - openFds()) / 8)));
  const maxConnections = connectionBudget(o.maxConnections, softNofile, openFds(), lingerMax);
  if (maxConnections < o.maxConnections) {
    o.log("warn", "connection limit lowered to fit the descriptor limit", { max_connections: maxConnections, configured: o.maxConnections, nofile: softNofile });
  }
  const limits = new ConnectionLimits(maxConnections, Math.min(o.maxConnectionsPerUid, maxConnections), (uid) => uid === 0 || uid === o.policy.selfUid, (n, why) => {
    o.log("warn", "connections refused over the limit", { refused: n, last: why });
    o.emit({ component: "", event: "peer-limit", level: "", reason: `${n} connection(s) refused: ${why}` });
  });
  // A peer sending garbage must not be able to flood the log: the first refusal per connection is logged,
  // the rest are counted and summarised when the connection closes.
  const refusals = new WeakMap<object, number>();
  const turnedAway = new Refusals(undefined, lingerMax);
  const peers = new Set<Peer>();
  // Deadlines for peers that never say hello or trickle a frame (protocol.md §2): a sweep each second
  // while one of them runs (a peer connected and not yet helloed, a frame begun and not finished),
  // none otherwise: an idle monitor, subscribers and registered components included, is not woken for it.
  let sweeper: Timer | null = null;
  const sweep = () => {
    sweeper = null;
    const t = o.now();
    let again = false;
    for (const p of peers) if (d.sweep(p, p.openedAt, p.partialSince, t)) again = true;
    if (again) sweeper = o.after(1_000, sweep);
  };
  const armSweep = () => {
    if (!sweeper) sweeper = o.after(1_000, sweep);
  };
  // After connections churn (a flood, a burst of CLI calls), a collection a second after the last close:
  // an idle monitor sleeps for seconds, and the runtime's own collector follows activity, so without this
  // what a flood allocated stays resident until the next burst of work.
  let collect: Timer | null = null;
  const collectSoon = () => {
    collect?.cancel();
    collect = o.after(1_000, () => {
      collect = null;
      Bun.gc(false);
    });
  };
  const listener = await listenUnix(o.socketPath, (peer) => {
    const cred = peerCred(peer.fd);
    const over = limits.admit(peer, cred?.uid ?? -1);
    if (over) return turnedAway.refuse(peer, "E_LIMIT", over);
    d.open(peer, cred);
    peers.add(peer);
    armSweep();
    return {
      message: (p, m) => d.handle(p, m),
      refused: (p, code, message) => {
        const n = (refusals.get(p) ?? 0) + 1;
        refusals.set(p, n);
        if (n === 1) o.log("warn", "refused frame", { code, message });
      },
      partial: armSweep,
      close: (p, reason) => {
        peers.delete(p);
        collectSoon();
        limits.release(p);
        const n = refusals.get(p) ?? 0;
        if (n > 1) o.log("warn", "connection closed after refused frames", { refused: n, reason });
        d.closed(p, reason);
      },
    };
  }, { group: o.gid, budget: new OutputBudget(), now: o.now });

  return {
    listener,
    stop() {
      sweeper?.cancel();
      collect?.cancel();
      listener.stop();
      limits.close();
    },
  };
}
