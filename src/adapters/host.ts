/**
 * The adapters the configuration enables, as one: the monitor hands every
 * event and every node-verdict change here and stops them with itself. An
 * adapter that throws is logged and skipped for that call; it never takes
 * the monitor down.
 */
import type { IntegrationsConfig } from "../config/integrations.ts";
import type { NodeVerdict } from "../engine/node.ts";
import type { Adapter, AdapterDeps, FullEvent } from "./adapter.ts";
import { keepalivedAdapter } from "./keepalived.ts";
import { pacemakerAdapter } from "./pacemaker.ts";
import { prometheusAdapter, type MetricsSource } from "./prometheus.ts";

export class Adapters {
  readonly list: Adapter[] = [];

  constructor(cfg: IntegrationsConfig, src: MetricsSource, version: string, private readonly d: AdapterDeps) {
    if (cfg.keepalived) this.list.push(keepalivedAdapter(cfg.keepalived, d));
    if (cfg.pacemaker) this.list.push(pacemakerAdapter(cfg.pacemaker, d));
    if (cfg.prometheus) this.list.push(prometheusAdapter(cfg.prometheus, src, version, d));
  }

  event(ev: FullEvent): void {
    for (const a of this.list) if (a.event) this.guard(a, "event", () => a.event!(ev));
  }

  verdict(v: NodeVerdict): void {
    for (const a of this.list) if (a.verdict) this.guard(a, "verdict", () => a.verdict!(v));
  }

  /** Every adapter's preparation for a reboot, together; one that fails is logged, never blocks the others. */
  async beforeReboot(component: string, reason: string): Promise<void> {
    await Promise.all(this.list.filter((a) => a.beforeReboot).map((a) => a.beforeReboot!(component, reason).catch((e) => this.d.log("error", `${a.name}: before reboot failed`, { error: (e as Error).message }))));
  }

  async stop(): Promise<void> {
    await Promise.all(this.list.map((a) => a.stop().catch((e) => this.d.log("error", `${a.name}: stop failed`, { error: (e as Error).message }))));
  }

  private guard(a: Adapter, what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.d.log("error", `${a.name}: ${what} handler threw`, { error: (e as Error).message });
    }
  }
}
