/**
 * The sidecar: represents a daemon that does not link the library. Either it
 * owns the daemon (spawns `argv`, forwards SIGTERM/SIGINT, exits with the
 * daemon's status) or it watches one started elsewhere (`pid`, identified by
 * its start time so a recycled pid is never mistaken for it; a signal then
 * stops the watch and deregisters, leaving the daemon alone). It registers
 * the daemon with the monitor under the daemon's pid, answers health queries
 * from process liveness, and reports `failed` the moment the daemon dies.
 */
import { Component } from "../library/component.ts";
import type { Kind, Plane } from "../protocol/messages.ts";
import { processStartTime, sameProcessAlive } from "../sys/proc.ts";
import type { Logger } from "../log.ts";

/** How often a watched (not owned) pid is checked. */
export const WATCH_INTERVAL_MS = 100;
/** Time given to the monitor connection to carry the final report before exit. */
const FINAL_REPORT_GRACE_MS = 100;

export interface SidecarOptions {
  name: string;
  kind: Kind;
  plane: Plane;
  socket: string;
  log: Logger;
  /** Own this daemon: spawn it. */
  argv?: string[];
  /** Or watch this pid. */
  pid?: number;
}

export async function runSidecar(o: SidecarOptions): Promise<number> {
  let alive = true;
  let pid = o.pid ?? 0;
  let exited: Promise<number>;
  let child: Bun.Subprocess | null = null;
  let stopWatching = () => {};
  if (o.argv && o.argv.length > 0) {
    child = Bun.spawn(o.argv, { stdio: ["inherit", "inherit", "inherit"] });
    pid = child.pid;
    exited = child.exited; // Bun resolves 128+N for a signal death, like a shell
  } else {
    const start = processStartTime(pid);
    if (start === null) {
      o.log("error", "no such process", { pid });
      return 1;
    }
    exited = new Promise((resolve) => {
      const t = setInterval(() => {
        if (!sameProcessAlive(pid, start)) {
          clearInterval(t);
          resolve(1);
        }
      }, WATCH_INTERVAL_MS);
      // A signal to a watching sidecar stops the watch (the daemon is not ours to stop).
      stopWatching = () => {
        clearInterval(t);
        resolve(0);
      };
    });
  }
  const comp = new Component({
    name: o.name, kind: o.kind, plane: o.plane, pid, socket: o.socket,
    onQuery: () => (alive ? { health: "ok", detail: `pid ${pid} running` } : { health: "failed", detail: `pid ${pid} gone` }),
    log: (line) => o.log("info", line, { component: o.name }),
  });
  comp.start().catch((e: Error) => o.log("error", "registration refused", { component: o.name, error: e.message }));
  let stopping = false;
  const forward = (sig: NodeJS.Signals) => {
    stopping = true;
    if (child) child.kill(sig);
    else stopWatching();
  };
  process.on("SIGTERM", () => forward("SIGTERM"));
  process.on("SIGINT", () => forward("SIGINT"));
  const code = await exited;
  alive = false;
  if (stopping) {
    await comp.stop("stopped by signal");
    return code;
  }
  const why = child?.signalCode ? `killed by ${child.signalCode}` : `exited with status ${code}`;
  o.log("warn", "daemon died", { component: o.name, pid, reason: why });
  comp.report("failed", why);
  await Bun.sleep(FINAL_REPORT_GRACE_MS);
  return code;
}
