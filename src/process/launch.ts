/**
 * How an owned daemon is started: as its user (uid, its primary group or
 * `group`, a clean environment, nothing of root's), its umask, cwd and
 * descriptor limit, its output into a pipe a writer thread drains
 * (daemon-logs.ts: the daemon never holds our file), and the mark by which
 * the next monitor finds it in /proc (adopt.ts). The monitor's life room
 * (monitor/life.ts) decides when; this says how.
 *
 * @example
 *   const pid = launch(sup, logs, "bgpd", declared, "/run/hamon/hamon.sock"); // throws what the kernel said
 */
import type { ComponentConfig } from "../config/config.ts";
import { cleanEnv } from "../security/env.ts";
import { gidOf, primaryGidOf, uidOf, userEntry } from "../sys/accounts.ts";
import { MONITOR_OWNER_VAR, ownerMark } from "./adopt.ts";
import { assertExecutable, ignoringSigpipe, type DaemonLogs } from "./daemon-logs.ts";
import type { Supervisor } from "./supervisor.ts";

/** Starts `d.start` for component `name`; returns its pid, or throws (no such program, no such user, fork failed). */
export function launch(sup: Supervisor, logs: DaemonLogs, name: string, d: ComponentConfig, socketPath: string): number {
  const argv = d.start!;
  if (d.output === "log" && argv[0]!.startsWith("/")) assertExecutable(argv[0]!);
  const log = d.output === "log" ? logs.pipe() : undefined;
  let pid: number;
  try {
    const uid = d.user === null ? null : uidOf(d.user);
    const gid = d.group !== null ? gidOf(d.group) : d.user !== null ? primaryGidOf(d.user) : null;
    const env = { ...d.env, HAMON_SOCKET: socketPath, HAMON_COMPONENT: name, [MONITOR_OWNER_VAR]: ownerMark(name, socketPath) };
    const who = d.user === null ? null : userEntry(d.user);
    pid = sup.spawn(name, log ? ignoringSigpipe(argv) : argv, who ? cleanEnv(who, env) : env, {
      ...(who ? { cleanEnv: true } : {}), ...(d.cwd ? { cwd: d.cwd } : {}), ...(log !== undefined ? { output: log.write } : {}), ...(uid !== null ? { uid } : {}), ...(gid !== null ? { gid } : {}), ...(d.umask !== null ? { umask: d.umask } : {}),
      ...(d.nofile !== null ? { nofile: d.nofile } : {}),
    });
  } catch (err) {
    if (log) logs.abandon(log);
    throw err;
  }
  if (log) logs.started(name, log, { maxBytes: d.logMaxBytes, keep: d.logKeep });
  return pid;
}
