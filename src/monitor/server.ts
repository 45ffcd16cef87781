/**
 * The monitor's socket edge: listens, hands each peer to the Dispatcher,
 * fans events out to subscribers and the log. Returned as a handle so the
 * daemon (and tests) can stop it deterministically.
 */
import { listenUnix, type Listener } from "../transport/unix.ts";
import type { Logger } from "../log.ts";
import { Dispatcher, type MonitorEvent } from "./dispatch.ts";

export interface MonitorServer {
  readonly dispatcher: Dispatcher;
  readonly listener: Listener;
  stop(): void;
}

export interface MonitorServerOptions {
  socketPath: string;
  log: Logger;
  now?: () => number;
  /** Also observe every event (journal, adapters, tests). */
  onEvent?: (ev: MonitorEvent & { seq: number; time: number }) => void;
}

export async function startMonitorServer(o: MonitorServerOptions): Promise<MonitorServer> {
  const now = o.now ?? (() => performance.now());
  let seq = 0;
  const dispatcher: Dispatcher = new Dispatcher({
    now,
    startedAt: now(),
    log: (level, line) => o.log(level, line),
    emit(ev) {
      const full = { ...ev, seq: ++seq, time: Date.now() };
      o.log(ev.event === "disconnected" ? "warn" : "info", `event ${ev.event}`, { component: ev.component, level: ev.level, reason: ev.reason });
      o.onEvent?.(full);
      for (const sub of dispatcher.subscribers) sub.send({ type: "event", ...full });
    },
  });
  // A peer sending garbage must not be able to flood the log: the first
  // refusal per connection is logged, the rest are counted and summarised
  // when the connection closes.
  const refusals = new WeakMap<object, number>();
  const listener = await listenUnix(o.socketPath, (peer) => {
    dispatcher.open(peer);
    return {
      message: (p, m) => dispatcher.handle(p, m),
      refused: (p, code, message) => {
        const n = (refusals.get(p) ?? 0) + 1;
        refusals.set(p, n);
        if (n === 1) o.log("warn", "refused frame", { code, message });
      },
      close: (p, reason) => {
        const n = refusals.get(p) ?? 0;
        if (n > 1) o.log("warn", "connection closed after refused frames", { refused: n, reason });
        dispatcher.closed(p, reason);
      },
    };
  });
  o.log("info", "monitor listening", { socket: o.socketPath, pid: process.pid });
  return { dispatcher, listener, stop: () => listener.stop() };
}
