/**
 * One cap on the bytes queued for every peer of a listener together. Each
 * peer already has its own cap (a peer that stops reading is cut off past
 * it); this one bounds the sum, so 500 subscribers that never read cannot
 * take the monitor's memory (measured before it: 45 → 986 MiB, and the
 * monitor's own checks ran late). When a write would pass the cap, the peer
 * holding the most queued bytes is cut off first: that is the slowest
 * reader, typically a stalled subscriber, never a component answering queries.
 */
export interface BudgetHolder {
  readonly pendingBytes: number;
  /** Cut off: drops its queue (and releases it from the budget). */
  shed(reason: string): void;
}

/** Bytes queued for all peers of the monitor's socket together. */
export const MAX_TOTAL_PENDING_BYTES = 32 * 1024 * 1024;

export class OutputBudget {
  private total = 0;
  private readonly holders = new Set<BudgetHolder>();

  constructor(readonly max = MAX_TOTAL_PENDING_BYTES) {}

  get used(): number {
    return this.total;
  }

  /** Makes room for `n` more bytes of `who`; false when `who` itself was cut off to make it. */
  charge(who: BudgetHolder, n: number): boolean {
    while (this.total + n > this.max && this.holders.size > 0) {
      let worst: BudgetHolder | null = null;
      for (const h of this.holders) if (!worst || h.pendingBytes > worst.pendingBytes) worst = h;
      worst!.shed(`not reading: the monitor's output queues reached ${this.max} bytes in all, and this peer held the most (${worst!.pendingBytes} bytes)`);
      if (worst === who) return false;
    }
    this.total += n;
    this.holders.add(who);
    return true;
  }

  release(who: BudgetHolder, n: number, empty: boolean): void {
    this.total -= n;
    if (empty) this.holders.delete(who);
  }
}
