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
}

/** Numbered (`seq`, unique across monitor restarts) and stamped (`time`, Unix ms). */
export type FullEvent = MonitorEvent & { readonly seq: number; readonly time: number };
