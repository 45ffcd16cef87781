/**
 * An adapter tells one HA engine what hamon saw and decided. It sees every
 * monitor event and every change of the node verdict; it owns its own I/O
 * (files, a child process, a port) and never blocks the monitor: a slow or
 * failing engine costs a log line, not a missed heartbeat.
 */
import type { NodeVerdict } from "../engine/node.ts";
import type { Logger } from "../log.ts";
import type { FullEvent, MonitorEvent } from "../events/event.ts";

export type { FullEvent, MonitorEvent };

export interface Adapter {
  readonly name: string;
  /** Every event, after the log and events.jsonl have it. */
  event?(ev: FullEvent): void;
  /** The node verdict changed (the first call is the first verdict). */
  verdict?(v: NodeVerdict): void;
  /**
   * A reboot-system is about to be carried out (the [levels] hook runs when
   * every adapter's promise settles): what the engine must do first.
   */
  beforeReboot?(component: string, reason: string): Promise<void>;
  /** The monitor is stopping cleanly (a crash never gets here). */
  stop(): Promise<void>;
}

/** What an adapter may use besides events: logging and reporting its own trouble as an event. */
export interface AdapterDeps {
  log: Logger;
  emit: (ev: MonitorEvent) => void;
}

/** Logs the first failure of a run of failures and the recovery, not every retry. */
export class TroubleOnce {
  private failing = false;
  constructor(private readonly d: AdapterDeps, private readonly adapter: string) {}

  failed(what: string, why: string): void {
    if (this.failing) return;
    this.failing = true;
    this.d.log("error", `${this.adapter}: ${what} failed`, { error: why });
    this.d.emit({ component: "", event: "adapter-failed", level: "", reason: `${this.adapter}: ${what}: ${why}` });
  }

  ok(what: string): void {
    if (!this.failing) return;
    this.failing = false;
    this.d.log("info", `${this.adapter}: ${what} works again`);
  }
}
