/**
 * "At most every N ms, coalesced": requests made while a run is waiting for
 * its slot join it, and requests made while a run is in progress (an async
 * one: a status read) give one more run right after it. What `hamon top`
 * needs twice: its reads after events, its redraws.
 *
 * @example
 *   const redraw = new Throttle(draw, 250);
 *   redraw.request(); redraw.request(); // one draw, within 250 ms of the last
 *   redraw.stop();
 */
export class Throttle {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = -Infinity;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private readonly run: () => void | Promise<void>, private readonly everyMs: number, private readonly now: () => number = () => performance.now()) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fire();
    }, Math.max(0, this.last + this.everyMs - this.now()));
  }

  /** No more runs (a pending one is dropped). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async fire(): Promise<void> {
    this.running = true;
    this.last = this.now();
    try {
      await this.run();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }
}
