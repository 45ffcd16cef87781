/**
 * The monitor's event: what it saw or decided, with its evidence. Produced by
 * every part of the monitor, consumed by the fan-out (src/events/fanout.ts):
 * the log, events.jsonl, `show`'s ring, subscribers, the HA-engine adapters
 * and the node verdict. `FullEvent` is an event once numbered and stamped.
 *
 * @example
 *   emit({ component: "ospfd", event: "recover", level: "restart-daemon", reason: "check 'lsdb' failed" })
 */
export interface MonitorEvent {
  component: string;
  event: string;
  level: string;
  reason: string;
  /**
   * When it happened (Unix ms), when that is earlier than its emission: a
   * watchdog verdict is decided on the watchdog's own thread, and stamped
   * there, not when the main loop got to say it.
   */
  at?: number;
}

/** Numbered (`seq`, unique across monitor restarts) and stamped (`time`, Unix ms). */
export type FullEvent = MonitorEvent & { readonly seq: number; readonly time: number };
