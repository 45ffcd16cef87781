/**
 * The `[security]` table and a component's `user`: who may reach the socket,
 * register, read and control, and the per-peer resource limits. Pure
 * validation: user and group names stay names here; the monitor resolves them
 * against /etc/passwd and /etc/group when it starts (src/sys/accounts.ts) and
 * refuses to start if one does not exist. docs/security.md is the reference.
 */
import { bool, ConfigErrors, int, type Table } from "./validate.ts";

export interface SecurityConfig {
  /** Group of the socket directory (0750) and socket (0660); null = the monitor's own group. */
  socketGroup: string | null;
  /** May use the control verbs (restart, activate, deactivate, query), besides root and the monitor's own user. */
  controlUsers: string[];
  controlGroups: string[];
  /** If non-empty, only these groups (and control principals) may use the read-only verbs; empty = whoever can connect. */
  readGroups: string[];
  /** If non-empty, only these groups (and root) may register components the configuration does not declare. */
  componentGroups: string[];
  /** Components not declared in the configuration may register at all. */
  allowUndeclared: boolean;
  maxConnections: number;
  maxConnectionsPerUid: number;
  /** Sustained messages per second per connection (bursts of twice that); past it the peer is cut off. */
  maxMessagesPerSecond: number;
}

export const DEFAULT_SECURITY: SecurityConfig = {
  socketGroup: null, controlUsers: [], controlGroups: [], readGroups: [], componentGroups: [], allowUndeclared: true,
  maxConnections: 4096, maxConnectionsPerUid: 256, maxMessagesPerSecond: 500,
};

export const SECURITY_KEYS = [
  "socket_group", "control_users", "control_groups", "read_groups", "component_groups", "allow_undeclared",
  "max_connections", "max_connections_per_uid", "max_messages_per_second",
] as const;

/** A user or group: a POSIX-ish name or a decimal id. */
export const PRINCIPAL_RE = /^([A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|0|[1-9][0-9]{0,9})$/;

export function securityFrom(t: Table, e: ConfigErrors): SecurityConfig {
  const d = DEFAULT_SECURITY;
  const maxConnections = int(t, "max_connections", "security", e, 1, 1_000_000, d.maxConnections);
  return {
    socketGroup: t.socket_group === undefined ? null : principal(t.socket_group, "security.socket_group", e),
    controlUsers: principals(t, "control_users", e),
    controlGroups: principals(t, "control_groups", e),
    readGroups: principals(t, "read_groups", e),
    componentGroups: principals(t, "component_groups", e),
    allowUndeclared: bool(t, "allow_undeclared", "security", e, d.allowUndeclared),
    maxConnections,
    maxConnectionsPerUid: Math.min(maxConnections, int(t, "max_connections_per_uid", "security", e, 1, 1_000_000, d.maxConnectionsPerUid)),
    maxMessagesPerSecond: int(t, "max_messages_per_second", "security", e, 1, 1_000_000, d.maxMessagesPerSecond),
  };
}

/** A user name or uid (`user = "frr"` on a component). */
export function principal(v: unknown, path: string, e: ConfigErrors): string {
  const s = typeof v === "number" && Number.isInteger(v) && v >= 0 ? String(v) : v;
  if (typeof s !== "string" || !PRINCIPAL_RE.test(s)) {
    e.add(path, "must be a user/group name or a decimal id", v);
    return "";
  }
  return s;
}

function principals(t: Table, key: string, e: ConfigErrors): string[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    e.add(`security.${key}`, "must be an array of names or ids", v);
    return [];
  }
  return v.map((x, i) => principal(x, `security.${key}[${i}]`, e));
}
