/**
 * The component library: what a control-plane daemon links to be monitored.
 *
 * It registers, answers the monitor's queries (health, audit, dump, action),
 * sends status reports, confirms and error reports, and keeps doing so across
 * monitor restarts: when the connection drops it reconnects with capped
 * exponential backoff plus jitter and registers again by itself, then re-sends
 * its latest status report and any error reports made while disconnected.
 * Once registered it also listens on its beacon (src/library/beacon.ts): a
 * new monitor touches it and the component reconnects at once instead of
 * waiting out its backoff.
 * Library code never exits the process and never throws from a callback.
 *
 * @example
 *   const c = new Component({ name: "ospfd", kind: "dynamic", plane: "control",
 *     audit: async () => ({ health: "ok", detail: "lsdb consistent" }) });
 *   await c.start();
 *   c.report("degraded", "neighbour 10.0.0.2 flapping");
 */
import { HamonError } from "../protocol/errors.ts";
import type { CheckSpec, Health, Kind, Level, Message, MessageOf, Plane, QueryKind } from "../protocol/messages.ts";
import { defaultSocketPath } from "../paths.ts";
import { listenBeacon, type Beacon } from "./beacon.ts";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";
import { Session } from "./session.ts";

export interface QueryAnswer {
  health: Health;
  detail?: string;
}
export interface QueryRequest {
  kind: QueryKind;
  check: string;
  action: string;
}
type Answer = QueryAnswer | Promise<QueryAnswer>;

export interface ComponentOptions {
  name: string;
  kind?: Kind;
  plane?: Plane;
  pid?: number;
  socket?: string;
  checks?: CheckSpec[];
  /** Answers health and dump queries; default: the latest reported health. */
  onQuery?: (q: QueryRequest) => Answer;
  /**
   * Actions the monitor may ask for (`<query kind="action">`), by name; they
   * are announced in the registration. "restart" and "stop" are the monitor's
   * own: it asks a component that owns its daemon to restart it (restart-daemon)
   * or stop it (deactivate). Answer ok only once it is done.
   */
  actions?: Record<string, (q: QueryRequest) => Answer>;
  /** The internal audit, run on `kind="audit"` queries. */
  audit?: () => Answer;
  backoff?: BackoffPolicy;
  /** Listen on a beacon so a new monitor can call us back at once (default true). */
  beacon?: boolean;
  /** Diagnostics; the library never writes to stdout/stderr itself. */
  log?: (line: string) => void;
  random?: () => number;
}

/** Error reports kept while disconnected, oldest dropped first. */
const MAX_QUEUED_ERROR_REPORTS = 16;
/** Codes after which retrying cannot help: start() rejects instead. */
const PERMANENT: ReadonlySet<string> = new Set(["E_INVALID", "E_DENIED", "E_VERSION"]);

export class Component {
  private session: Session | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: Timer | null = null;
  private connecting = false;
  private beacon: Beacon | null = null;
  private beaconWanted = true;
  private lastReport: { health: Health; reason: string } = { health: "ok", reason: "" };
  private reportDirty = false;
  private queuedErrors: { level: Level; reason: string }[] = [];
  private firstRegistration: { resolve(): void; reject(e: Error): void } | null = null;
  readonly counters = { connects: 0, registrations: 0, disconnects: 0 };
  readonly socketPath: string;

  private pid: number;

  constructor(private readonly opts: ComponentOptions) {
    this.socketPath = opts.socket ?? defaultSocketPath();
    this.pid = opts.pid ?? process.pid;
  }

  /** Connects and registers; resolves on the first registration. Reconnects forever after that. */
  start(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve, reject) => {
      this.firstRegistration = { resolve, reject };
      void this.connect();
    });
  }

  /** Unsolicited status report. Remembered, and re-sent after every re-registration. */
  report(health: Health, reason = ""): void {
    this.lastReport = { health, reason };
    this.reportDirty = !this.session?.send({ type: "report", health, reason });
  }

  /** Component-invoked health check: "I ran check X and it is fine". Dropped while disconnected (it is periodic). */
  confirm(check: string, result: Health = "ok", reason = ""): void {
    this.session?.send({ type: "confirm", check, result, reason });
  }

  /** Reports an error with a recommended recovery level (bounded by the monitor's policy). Queued while disconnected. */
  errorReport(level: Level, reason: string): void {
    if (this.session?.send({ type: "error-report", level, reason })) return;
    this.queuedErrors.push({ level, reason });
    if (this.queuedErrors.length > MAX_QUEUED_ERROR_REPORTS) this.queuedErrors.shift();
  }

  /** Deregisters (best effort) and stops reconnecting. */
  async stop(reason = "component stopping"): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.beacon?.close();
    this.beacon = null;
    const s = this.session;
    this.session = null;
    if (s?.isOpen) {
      try {
        await s.request({ type: "deregister", id: s.nextId(), reason }, 1_000);
      } catch {
        /* the monitor may already be gone */
      }
      s.close(reason);
    }
  }

  /**
   * The daemon this component stands for has a new pid (a sidecar restarted
   * it): register again with it, on the same connection. If that fails the
   * connection is dropped and the next one registers the new pid.
   */
  async setPid(pid: number): Promise<void> {
    this.pid = pid;
    const s = this.session;
    if (!s?.isOpen) return;
    try {
      await s.request(this.registration(s));
    } catch (e) {
      s.close(`re-registration failed: ${(e as Error).message}`);
    }
  }

  private registration(s: Session): MessageOf<"register"> {
    const o = this.opts;
    return {
      type: "register", id: s.nextId(), name: o.name, kind: o.kind ?? "static", plane: o.plane ?? "control",
      pid: this.pid, checks: o.checks ?? [], actions: Object.keys(o.actions ?? {}),
    };
  }

  /** A monitor touched our beacon: reconnect now unless connected or already trying. */
  private beckoned(): void {
    if (this.stopped || this.session || this.connecting) return;
    if (this.timer) clearTimeout(this.timer);
    this.attempt = 0;
    this.opts.log?.("beckoned by a new monitor; reconnecting now");
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.timer = null;
    this.connecting = true;
    try {
      await this.connectOnce();
    } finally {
      this.connecting = false;
    }
  }

  private async connectOnce(): Promise<void> {
    let s: Session;
    try {
      s = await Session.open(this.socketPath, {
        role: "component",
        agent: `hamon-lib/${this.opts.name}`,
        onMessage: (m, sess) => this.onMessage(m, sess),
        onClose: (reason) => this.onClose(s, reason),
      });
    } catch (e) {
      return this.retry(e as Error);
    }
    if (this.stopped) return s.close();
    this.counters.connects++;
    this.session = s;
    try {
      await s.request(this.registration(s));
    } catch (e) {
      s.close("registration failed");
      return this.retry(e as Error);
    }
    this.counters.registrations++;
    this.attempt = 0;
    this.opts.log?.(`registered as ${this.opts.name} with ${s.server}`);
    if (this.reportDirty || this.lastReport.health !== "ok" || this.counters.registrations > 1) {
      this.reportDirty = !s.send({ type: "report", ...this.lastReport });
    }
    for (const q of this.queuedErrors.splice(0)) s.send({ type: "error-report", ...q });
    this.firstRegistration?.resolve();
    this.firstRegistration = null;
    if (this.beaconWanted && !this.beacon && this.opts.beacon !== false) {
      this.beaconWanted = false; // one attempt: an unwritable directory is not retried per reconnect
      this.beacon = await listenBeacon(this.socketPath, this.opts.name, () => this.beckoned());
      if (this.stopped) this.beacon?.close();
    }
  }

  private retry(e: Error): void {
    if (this.stopped) return;
    if (e instanceof HamonError && PERMANENT.has(e.code) && this.firstRegistration) {
      this.firstRegistration.reject(e);
      this.firstRegistration = null;
      this.stopped = true;
      return;
    }
    const delay = backoffDelay(this.attempt++, this.opts.backoff ?? DEFAULT_BACKOFF, this.opts.random);
    this.opts.log?.(`monitor unavailable (${e.message}); retrying in ${delay} ms`);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private onClose(s: Session, reason: string): void {
    if (this.session !== s) return;
    this.session = null;
    this.counters.disconnects++;
    this.opts.log?.(`disconnected from monitor: ${reason}`);
    this.retry(new Error(reason));
  }

  private onMessage(m: Message, s: Session): void {
    if (m.type !== "query") return;
    const q: QueryRequest = { kind: m.kind, check: m.check, action: m.action };
    const acts = this.opts.actions;
    const handler = m.kind === "action"
      ? (acts && Object.hasOwn(acts, m.action) ? acts[m.action] : () => ({ health: "failed" as const, detail: `no action '${m.action}'` }))
      : m.kind === "audit" && this.opts.audit ? this.opts.audit : this.opts.onQuery;
    let answer: Answer;
    try {
      answer = handler ? handler(q) : { health: this.lastReport.health, detail: this.lastReport.reason };
    } catch (e) {
      answer = { health: "failed", detail: `query handler threw: ${(e as Error).message}` };
    }
    void Promise.resolve(answer).then(
      (a) => s.send({ type: "reply", id: m.id, health: a.health, detail: a.detail ?? "" }),
      (e: Error) => s.send({ type: "reply", id: m.id, health: "failed", detail: `query handler failed: ${e.message}` }),
    );
  }
}
