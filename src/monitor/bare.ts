/**
 * A monitor with nothing to decide: no configuration, so no checks, no
 * engine, no journal. It keeps the registry (who is registered, what each
 * reported) and serves the read-only verbs. It is what `startMonitorServer`
 * runs without a config (the component library's tests talk to it), and the
 * hooks the dispatcher's own tests use.
 */
import type { MessageOf } from "../protocol/messages.ts";
import type { MonitorEvent, MonitorHooks } from "./dispatch.ts";
import type { Entry, Registry } from "./registry.ts";

export class BareHooks implements MonitorHooks {
  constructor(private readonly d: { readonly registry: Registry; now(): number; emit(ev: MonitorEvent): void }) {}

  registered(): void {}

  /** Forgotten at once (nothing remembers it). */
  deregistered(): boolean {
    return true;
  }

  /** Nothing to write: the goodbye is acknowledged at once. */
  whenJournaled(then: () => void): void {
    then();
  }

  disconnected(e: Entry, reason: string): void {
    this.d.registry.disconnect(e, `connection lost: ${reason}`, this.d.now());
  }

  says(e: Entry, m: MessageOf<"report" | "confirm" | "error-report" | "reply">): void {
    if (m.type === "report") {
      const changed = e.health !== m.health || e.reason !== m.reason;
      this.d.registry.apply(e, { type: "report", health: m.health, reason: m.reason, checksFailing: false }, this.d.now()); // nothing acts on it
      if (changed) this.d.emit({ component: e.name, event: `report-${m.health}`, level: "", reason: m.reason });
    } else if (m.type === "error-report") {
      this.d.emit({ component: e.name, event: "error-report", level: m.level, reason: m.reason });
    }
  }
}
