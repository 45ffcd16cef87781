/**
 * Running the monitoring daemon until a signal: what `hamon monitor` does,
 * and what `hamon discovery --standby` does once it has won the lock. The
 * outcome is an exit status (src/cli/exit.ts).
 */
import { untilSignal } from "../sys/signals.ts";
import { EXIT } from "../protocol/exit.ts";
import type { MonitorConfig } from "../config/config.ts";
import type { Logger } from "../log.ts";
import { MonitorLocked, startMonitorServer, type MonitorServer } from "./server.ts";

export interface DaemonOptions {
  config: MonitorConfig;
  socketPath: string;
  stateDir: string;
  log: Logger;
  /** Reads the configuration file again (reload, SIGHUP); absent without one. */
  reread?: () => { ok: true; config: MonitorConfig } | { ok: false; errors: string[] };
}

/** Starts the monitor; null (after logging why) when another monitor holds the lock. Other failures throw. */
export async function startDaemon(o: DaemonOptions): Promise<MonitorServer | null> {
  try {
    const server = await startMonitorServer({ socketPath: o.socketPath, log: o.log, config: o.config, stateDir: o.stateDir, ...(o.reread ? { reread: o.reread } : {}) });
    o.log("info", "monitoring", { components: o.config.components.length, fastpaths: o.config.fastpaths.length, state_dir: o.stateDir, dry_run: String(o.config.dryRun) });
    return server;
  } catch (e) {
    if (!(e instanceof MonitorLocked)) throw e;
    o.log("error", "not starting: another monitor is active", { lock: e.lockPath, pid: e.holderPid ?? "unknown" });
    return null;
  }
}

/** Runs until SIGTERM/SIGINT, then stops cleanly; SIGHUP reloads the configuration (as `hamon reload`). */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const server = await startDaemon(o);
  if (!server) return EXIT.LOCKED;
  const onHup = () => {
    const r = server.core?.reload();
    if (r && !r.ok) o.log("error", "configuration not reloaded (nothing changed)", { errors: r.errors.join("; ") });
    else if (r) o.log("info", "configuration reloaded", { changes: r.summary });
  };
  process.on("SIGHUP", onHup);
  const signal = await untilSignal(["SIGTERM", "SIGINT"]).signal;
  process.off("SIGHUP", onHup);
  o.log("info", "stopping", { signal });
  await server.stop();
  return EXIT.OK;
}
