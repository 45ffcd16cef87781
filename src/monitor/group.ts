/**
 * The daemon's parts torn down in one deterministic order: each part is
 * added as it is started, with what stops it; `stop()` runs the stops in
 * reverse order of start (the last part started is the first stopped), one
 * after the other, each awaited, a failing one logged and the rest still run.
 * Like oklog/run's group, without the goroutines: a monitor's parts are
 * started in sequence and share one event loop.
 *
 * @example
 *   const g = new Group(log); g.add("lock", () => lock.release()); g.add("core", () => core.stop()); await g.stop();
 */
import type { Logger } from "../log.ts";

export class Group {
  private readonly parts: { name: string; stop: () => unknown }[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  add(name: string, stop: () => unknown): void {
    this.parts.push({ name, stop });
  }

  /** Stops every part, last started first; idempotent (a second call waits for the first). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const p of this.parts.splice(0).reverse()) {
        try {
          await p.stop();
        } catch (e) {
          this.log("error", "stopping a part of the monitor failed", { part: p.name, error: (e as Error).message });
        }
      }
    })();
    return this.stopping;
  }
}
