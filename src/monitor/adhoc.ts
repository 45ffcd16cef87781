/**
 * Ad-hoc queries: the monitor asks one connected component something now,
 * outside its check schedule — a client's `hamon query`, or an action the
 * monitor delegates (a sidecar restarting or stopping the daemon it owns).
 * Ids live above every check id (check ids are < 2^32), so a reply is routed
 * here or to the check table by its id alone.
 */
import type { Health, MessageOf, QueryKind } from "../protocol/messages.ts";
import type { Conn } from "./registry.ts";
import type { After, Timer } from "./loop.ts";

const ADHOC_BASE = 2 ** 32;

export interface AdHocAnswer {
  health: Health;
  detail: string;
}

export class AdHocQueries {
  private readonly pending = new Map<number, { done(a: AdHocAnswer | null): void; timer: Timer }>();
  private seq = 0;

  /** `after`: the loop's timer (loop.ts), so a query's timeout runs on the monitor's one clock. */
  constructor(private readonly after: After) {}

  /** Sends the query; resolves with the answer, or null when none came within `timeoutMs` (or the send failed). */
  ask(conn: Conn, kind: QueryKind, action: string, timeoutMs: number): Promise<AdHocAnswer | null> {
    const id = ADHOC_BASE + ++this.seq;
    return new Promise((resolve) => {
      const timer = this.after(timeoutMs, () => {
        this.pending.delete(id);
        resolve(null);
      });
      this.pending.set(id, { done: resolve, timer });
      if (!conn.send({ type: "query", id, kind, check: "", action })) this.settle(id, null);
    });
  }

  /** A reply to an ad-hoc query; false if `m` answers a scheduled check instead. */
  reply(m: MessageOf<"reply">): boolean {
    if (m.id <= ADHOC_BASE) return false;
    this.settle(m.id, { health: m.health, detail: m.detail }); // unknown id: too late, the asker already gave up
    return true;
  }

  private settle(id: number, a: AdHocAnswer | null): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.timer.cancel();
    p.done(a);
  }

  /** Monitor stopping: every asker gets null now instead of a timer keeping the process alive. */
  cancelAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, null);
  }
}
