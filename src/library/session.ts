/**
 * One protocol session with the monitor: dial, hello/welcome, then requests
 * correlated by id with a deadline each. Used by the component library, the
 * client verbs and the sidecar: the one client-side implementation of the
 * protocol.
 *
 * @example
 *   const s = await Session.open("/run/hamon/hamon.sock", { role: "client" });
 *   const r = await s.request({ type: "command", id: s.nextId(), verb: "status", target: "", kind: "" });
 *   s.close();
 */
import { HamonError, isErrorCode } from "../protocol/errors.ts";
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from "../protocol/limits.ts";
import type { ComponentStatus, Message, Role } from "../protocol/messages.ts";
import type { Peer } from "../transport/peer.ts";
import { dialUnix } from "../transport/unix.ts";
import { VERSION } from "../version.ts";

/** Default deadline for one request/reply. */
export const REQUEST_TIMEOUT_MS = 5_000;

export interface SessionOptions {
  role: Role;
  agent?: string;
  timeoutMs?: number;
  /** Messages that are not replies to our requests (queries, events). */
  onMessage?: (msg: Message, session: Session) => void;
  onClose?: (reason: string) => void;
}

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
  timer: Timer;
  /** Components of the `result` frames that said `more`, until the last one. */
  parts?: ComponentStatus[];
}

/** Most components a multi-frame result may add up to (a monitor is trusted, but not unboundedly). */
export const MAX_RESULT_TOTAL = 100_000;

export class Session {
  private ids = 0;
  private readonly pending = new Map<number, Pending>();
  private welcome: ((m: Message) => void) | null = null;
  private onClosedBeforeWelcome: ((e: Error) => void) | null = null;
  private peer!: Peer;
  version = 0;
  server = "";
  closedReason: string | null = null;

  private constructor(private readonly opts: SessionOptions) {}

  /** Dials, says hello and waits for the welcome. Rejects with E_UNAVAILABLE, E_VERSION or E_TIMEOUT. */
  static async open(path: string, opts: SessionOptions): Promise<Session> {
    const s = new Session(opts);
    let resolveWelcome!: (m: Message) => void;
    const welcomed = new Promise<Message>((resolve) => (resolveWelcome = resolve));
    s.welcome = resolveWelcome;
    s.peer = await dialUnix(path, {
      message: (_p, m) => s.onMessage(m),
      close: (_p, reason) => s.onClose(reason),
    });
    // Armed only once connected, so a failed dial leaves no timer behind.
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HamonError("E_TIMEOUT", `no welcome from ${path}`)), opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
    });
    const closed = new Promise<never>((_, reject) => (s.onClosedBeforeWelcome = reject));
    s.peer.send({ type: "hello", version: PROTOCOL_VERSION, minVersion: SUPPORTED_VERSIONS[0]!, role: opts.role, agent: opts.agent ?? `hamon/${VERSION}` });
    let w: Message;
    try {
      w = await Promise.race([welcomed, timeout, closed]);
    } catch (e) {
      s.close("no welcome");
      throw e;
    } finally {
      clearTimeout(timer);
      s.onClosedBeforeWelcome = null;
    }
    if (w.type !== "welcome") {
      // Refused (E_LIMIT, E_VERSION…): close our end too, or every refusal leaks a descriptor.
      s.close(`refused: <${w.type}>`);
      if (w.type === "error") throw new HamonError(isErrorCode(w.code) ? w.code : "E_VERSION", w.message);
      throw new HamonError("E_STATE", `expected <welcome>, got <${w.type}>`);
    }
    s.version = w.version;
    s.server = w.server;
    return s;
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  nextId(): number {
    this.ids = this.ids >= 0x7fffffff ? 1 : this.ids + 1;
    return this.ids;
  }

  /** Sends a message that expects no reply. Returns false when the connection is gone. */
  send(m: Message): boolean {
    return this.peer.send(m);
  }

  /**
   * Sends a request carrying `id` and resolves with the reply of the same id.
   * An `<error>` reply rejects with a HamonError carrying its code.
   */
  request(m: Message & { id: number }, timeoutMs = this.opts.timeoutMs ?? REQUEST_TIMEOUT_MS): Promise<Message> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) return reject(new HamonError("E_UNAVAILABLE", `connection closed: ${this.closedReason}`));
      const timer = setTimeout(() => {
        this.pending.delete(m.id);
        reject(new HamonError("E_TIMEOUT", `no reply to <${m.type}> within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(m.id, { resolve, reject, timer });
      if (!this.peer.send(m)) {
        clearTimeout(timer);
        this.pending.delete(m.id);
        reject(new HamonError("E_UNAVAILABLE", `connection closed: ${this.closedReason}`));
      }
    });
  }

  close(reason = "closed by client"): void {
    this.peer?.close(reason);
  }

  private onMessage(msg: Message): void {
    let m = msg;
    if (this.welcome && (m.type === "welcome" || m.type === "error")) {
      const w = this.welcome;
      this.welcome = null;
      return w(m);
    }
    const id = m.type === "ok" || m.type === "error" || m.type === "result" ? m.id : 0;
    const p = id > 0 ? this.pending.get(id) : undefined;
    if (p && m.type === "result" && (m.more || p.parts)) {
      const parts = (p.parts ??= []);
      for (const c of m.components) parts.push(c);
      if (parts.length > MAX_RESULT_TOTAL) return this.close(`result of more than ${MAX_RESULT_TOTAL} components`);
      if (m.more) return;
      m = { ...m, components: parts };
    }
    if (p) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (m.type === "error") p.reject(new HamonError(isErrorCode(m.code) ? m.code : "E_INTERNAL", m.message));
      else p.resolve(m);
      return;
    }
    this.opts.onMessage?.(m, this);
  }

  private onClose(reason: string): void {
    this.closedReason = reason;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new HamonError("E_UNAVAILABLE", `connection closed: ${reason}`));
    }
    this.pending.clear();
    this.onClosedBeforeWelcome?.(new HamonError("E_UNAVAILABLE", `connection closed before welcome: ${reason}`));
    this.opts.onClose?.(reason);
  }
}
