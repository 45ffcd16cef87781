/**
 * Connection limits: at most `max` open connections, at most `perUid` from
 * one unprivileged uid (uid -1 = unknown: the platform gave no credentials;
 * root and the monitor's own uid are only bound by `max`: an appliance's
 * daemons often all run as root). A connection
 * over a limit is refused at accept with E_LIMIT; refusals are reported in
 * batches, at most one report per second, so 10,000 attempts cannot flood
 * the log or the event stream while every admitted peer is served as usual.
 */
export const REPORT_EVERY_MS = 1_000;

export class ConnectionLimits {
  private open = 0;
  private readonly byUid = new Map<number, number>();
  private readonly uidOf = new WeakMap<object, number>();
  private refused = 0;
  private lastWhy = "";
  private reportTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly max: number,
    private readonly perUid: number,
    private readonly privileged: (uid: number) => boolean,
    private readonly report: (refused: number, lastWhy: string) => void,
  ) {}

  /** null: admitted (call release when it closes); else why it is refused. */
  admit(conn: object, uid: number): string | null {
    const mine = this.byUid.get(uid) ?? 0;
    const why = this.open >= this.max ? `${this.max} connections open (security.max_connections)`
      : mine >= this.perUid && !this.privileged(uid) ? `uid ${uid < 0 ? "?" : uid} has ${this.perUid} connections open (security.max_connections_per_uid)`
      : null;
    if (why) {
      this.refused++;
      this.lastWhy = why;
      this.reportTimer ??= setTimeout(() => this.flush(), REPORT_EVERY_MS);
      return why;
    }
    this.open++;
    this.byUid.set(uid, mine + 1);
    this.uidOf.set(conn, uid);
    return null;
  }

  release(conn: object): void {
    const uid = this.uidOf.get(conn);
    if (uid === undefined) return;
    this.uidOf.delete(conn);
    this.open--;
    const n = (this.byUid.get(uid) ?? 1) - 1;
    if (n === 0) this.byUid.delete(uid);
    else this.byUid.set(uid, n);
  }

  get openCount(): number {
    return this.open;
  }

  private flush(): void {
    this.reportTimer = null;
    if (this.refused === 0) return;
    this.report(this.refused, this.lastWhy);
    this.refused = 0;
  }

  /** Reports what is pending and stops the timer (monitor stopping). */
  close(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.flush();
  }
}
