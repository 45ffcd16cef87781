/**
 * Pacemaker: the node verdict's colour as a transient health node attribute
 * (`#health-hamon` = green | yellow | red) through attrd_updater, with
 * dampening (`--delay`) so a flap does not reach the CIB. The cluster's
 * node-health-strategy decides what a colour does (migrate-on-red,
 * only-green, progressive: docs/integrations.md).
 *
 * attrd_updater is looked up once, when the monitor starts; without it (not a
 * cluster node) the adapter says so once and stays idle. Calls never overlap:
 * while one runs, only the latest colour waits for the next.
 */
import type { PacemakerConfig } from "../config/integrations.ts";
import type { NodeHealth } from "../engine/node.ts";
import { runWithDeadline } from "../process/run.ts";
import { TroubleOnce, type Adapter, type AdapterDeps } from "./adapter.ts";

/** attrd_updater is killed after this (it can hang while the cluster is forming). */
export const ATTRD_TIMEOUT_MS = 10_000;
/** After a failed call, the wanted colour is tried again this much later. */
export const ATTRD_RETRY_MS = 5_000;

/** The argv that sets `health` (pure). */
export function attrdArgv(bin: string, cfg: PacemakerConfig, health: NodeHealth): string[] {
  return [bin, "--name", cfg.attribute, "--update-both", health, "--delay", `${cfg.dampeningS}s`];
}

export function pacemakerAdapter(cfg: PacemakerConfig, d: AdapterDeps): Adapter {
  const bin = cfg.attrdUpdater.startsWith("/") ? cfg.attrdUpdater : Bun.which(cfg.attrdUpdater);
  if (!bin) d.log("warn", "pacemaker: attrd_updater not found: the health attribute will not be set", { attrd_updater: cfg.attrdUpdater });
  const trouble = new TroubleOnce(d, "pacemaker");
  let running: Promise<void> | null = null;
  let wanted: NodeHealth | null = null;
  let sent: NodeHealth | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const run = async (health: NodeHealth): Promise<void> => {
    const argv = attrdArgv(bin!, cfg, health);
    try {
      const r = await runWithDeadline(argv, { timeoutMs: ATTRD_TIMEOUT_MS, capture: true });
      if (!r.exit) throw new Error(r.startError ?? "could not start");
      if (r.exit.code !== 0) throw new Error(`exit ${r.exit.signal ?? r.exit.code}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
      sent = health;
      trouble.ok("attrd_updater");
      d.log("info", "pacemaker: health attribute set", { attribute: cfg.attribute, value: health });
    } catch (e) {
      trouble.failed(`setting ${cfg.attribute}=${health}`, (e as Error).message);
    }
  };
  const pump = (): void => {
    if (running || wanted === null || wanted === sent) return;
    const h = wanted;
    running = run(h).finally(() => {
      running = null;
      if (sent === h || wanted !== h) return pump();
      retry ??= setTimeout(() => {
        retry = null;
        pump();
      }, ATTRD_RETRY_MS);
    });
  };
  return {
    name: "pacemaker",
    verdict(v) {
      if (!bin) return;
      wanted = v.health;
      pump();
    },
    async stop() {
      if (retry) clearTimeout(retry);
      wanted = null;
      await running;
    },
  };
}
