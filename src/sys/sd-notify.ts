/**
 * sd_notify(3) without libsystemd: one AF_UNIX datagram per message to the
 * socket named by $NOTIFY_SOCKET (a path, or `@name` for the abstract
 * namespace), payload `KEY=VALUE` lines. Bun has no UNIX datagram sockets, so
 * socket(2) and sendto(2) go through bun:ffi. Sends never block
 * (MSG_DONTWAIT): a wedged systemd must not wedge the monitor's loop.
 *
 * The watchdog keep-alive is sent from the monitor's main loop (core.ts) at
 * half of $WATCHDOG_USEC, as sd_watchdog_enabled(3) recommends, so a loop
 * that stops turning stops the keep-alives and systemd acts.
 */
import { AF_UNIX, cstr, libc, MSG_DONTWAIT, MSG_NOSIGNAL, ptr, SOCK_CLOEXEC, SOCK_DGRAM } from "./libc.ts";

const SUN_PATH_MAX = 108;

export interface Notifier {
  /** Keep-alive period (half of WATCHDOG_USEC), or 0 when systemd's watchdog is off for us. */
  readonly watchdogMs: number;
  send(state: string): boolean;
  close(): void;
}

/** Reads NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID; null when not run under a notify-aware manager. */
export function notifierFromEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): Notifier | null {
  const where = env.NOTIFY_SOCKET;
  if (!where || (where[0] !== "/" && where[0] !== "@")) return null;
  const addr = sockaddrUn(where);
  if (!addr) return null;
  const fd = libc.symbols.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return null;
  return {
    watchdogMs: watchdogPeriodMs(env, pid),
    send(state) {
      const b = Buffer.from(state);
      return Number(libc.symbols.sendto(fd, ptr(b), b.length, MSG_DONTWAIT | MSG_NOSIGNAL, ptr(addr), addr.length)) === b.length;
    },
    close() {
      libc.symbols.close(fd);
    },
  };
}

/** Half of WATCHDOG_USEC in ms when it is meant for this process (WATCHDOG_PID unset or ours), else 0. */
export function watchdogPeriodMs(env: NodeJS.ProcessEnv, pid: number): number {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return 0;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return 0;
  return Math.max(1, Math.floor(usec / 2_000));
}

/** struct sockaddr_un for a path or an abstract name (`@` → leading NUL, no terminator). */
export function sockaddrUn(where: string): Buffer | null {
  const abstract = where[0] === "@";
  const name = abstract ? Buffer.concat([Buffer.from([0]), Buffer.from(where.slice(1))]) : cstr(where);
  if (name.length > SUN_PATH_MAX) return null;
  const b = Buffer.alloc(2 + name.length);
  b.writeUInt16LE(AF_UNIX, 0);
  name.copy(b, 2);
  return b;
}
