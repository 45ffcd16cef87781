/**
 * The fan-out: every event the monitor emits, numbered and stamped once,
 * goes to each of its readers in one fixed order: `show`'s ring, the log,
 * events.jsonl (a failure there is counted and said, never fatal),
 * subscribers (encoded once for all of them), then the late sinks (the
 * HA-engine adapters, the node verdict), which may emit in turn.
 *
 * @example
 *   const out = new EventFanout({ seq, log, file, persistence, recent, subscribers });
 *   out.addSink((e) => adapters.event(e));
 *   out.emit({ component: "ospfd", event: "recover", level: "restart-daemon", reason: "…" });
 */
import type { Logger } from "../log.ts";
import { encode } from "../protocol/codec.ts";
import { encodeFrame } from "../protocol/framing.ts";
import type { Message } from "../protocol/messages.ts";
import type { FullEvent, MonitorEvent } from "./event.ts";
import type { EventLog } from "./log.ts";

/** A reader that may also get the frame already encoded. */
export interface Subscriber {
  send(m: Message): boolean;
  sendFrame?(frame: Uint8Array): boolean;
}

export interface FanoutDeps {
  seq: { next(): number };
  log: Logger;
  /** events.jsonl, when the monitor has a state directory. */
  file: EventLog | null;
  /** Told whether events.jsonl took the write (src/monitor/persistence.ts). */
  persisted?: { ok(target: "events"): void; failed(target: "events", path: string, err: unknown): void };
  /** The ring `show` reads. */
  recent: { push(e: FullEvent): void };
  subscribers: ReadonlySet<Subscriber>;
}

export class EventFanout {
  private readonly sinks: ((e: FullEvent, raw: MonitorEvent) => void)[] = [];

  constructor(private readonly d: FanoutDeps) {}

  /** Added after the built-in readers, called in the order added. */
  addSink(sink: (e: FullEvent, raw: MonitorEvent) => void): void {
    this.sinks.push(sink);
  }

  emit(ev: MonitorEvent): void {
    const d = this.d;
    const { at, ...said } = ev;
    const full = { ...said, seq: d.seq.next(), time: at ?? Date.now() };
    d.recent.push(full);
    // The event's level is a recovery level: logged as `recovery`, apart from the line's own log level.
    d.log(ev.event === "disconnected" ? "warn" : "info", `event ${ev.event}`, { component: ev.component, recovery: ev.level, reason: ev.reason });
    if (d.file) {
      try {
        d.file.append(full);
        d.persisted?.ok("events");
      } catch (err) {
        d.persisted?.failed("events", d.file.path, err); // said once per interval, counted, an event (deferred)
      }
    }
    if (d.subscribers.size) {
      const frame = encodeFrame(encode({ type: "event", ...full })); // once, not once per subscriber
      for (const sub of d.subscribers) {
        if (sub.sendFrame) sub.sendFrame(frame);
        else sub.send({ type: "event", ...full });
      }
    }
    for (const s of this.sinks) s(full, ev);
  }
}
