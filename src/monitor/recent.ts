/**
 * The monitor's memory of recent events, for `show NAME` ("what happened to
 * it lately, and what did hamon decide"): a fixed ring of the last N events of
 * every component, also what a subscriber asking `since` is replayed from.
 * Events are rare (state changes, decisions), so the ring
 * holds the objects the emitter already built; nothing is allocated per tick.
 */
import type { RecentEvent } from "../protocol/messages.ts";

export const RECENT_EVENTS = 1024;

export interface StoredEvent extends RecentEvent {
  readonly component: string;
}

export class RecentEvents {
  private readonly ring: (StoredEvent | null)[];
  private head = 0;

  constructor(readonly capacity = RECENT_EVENTS) {
    this.ring = new Array<StoredEvent | null>(capacity).fill(null);
  }

  push(ev: StoredEvent): void {
    this.ring[this.head] = ev;
    this.head = (this.head + 1) % this.capacity;
  }

  /**
   * Every event held numbered above `seq`, oldest first (a subscriber's
   * `since`: what it missed while it was away, as far back as the ring goes).
   */
  after(seq: number, visit: (ev: StoredEvent) => void): void {
    for (let k = this.capacity; k >= 1; k--) {
      const ev = this.ring[(this.head - k + this.capacity) % this.capacity];
      if (ev && ev.seq > seq) visit(ev);
    }
  }

  /** The last `max` events of `component`, oldest first, reasons cut to `reasonChars`. */
  of(component: string, max: number, reasonChars = 240): RecentEvent[] {
    const out: RecentEvent[] = [];
    for (let k = 1; k <= this.capacity && out.length < max; k++) {
      const ev = this.ring[(this.head - k + this.capacity) % this.capacity];
      if (!ev) break;
      if (ev.component !== component) continue;
      const reason = ev.reason.length > reasonChars ? `${ev.reason.slice(0, reasonChars)}…` : ev.reason;
      out.push({ seq: ev.seq, time: ev.time, event: ev.event, level: ev.level, reason });
    }
    return out.reverse();
  }
}
