/**
 * Default locations. As root: /run/hamon and /var/lib/hamon (FHS). As an
 * ordinary user: $XDG_RUNTIME_DIR/hamon, else /tmp/hamon-<uid>, so hamon runs
 * without privileges for development and tests. HAMON_SOCKET overrides the
 * socket path for every mode, HAMON_STATE_DIR the state directory.
 */
import { join } from "node:path";

export function defaultRunDir(env = process.env, uid = process.getuid?.() ?? 0): string {
  if (uid === 0) return "/run/hamon";
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "hamon") : `/tmp/hamon-${uid}`;
}

export function defaultStateDir(env = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.HAMON_STATE_DIR) return env.HAMON_STATE_DIR;
  if (uid === 0) return "/var/lib/hamon";
  return env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, "hamon") : join(defaultRunDir(env, uid), "state");
}

export function defaultSocketPath(env = process.env, uid = process.getuid?.() ?? 0): string {
  return env.HAMON_SOCKET || join(defaultRunDir(env, uid), "hamon.sock");
}
