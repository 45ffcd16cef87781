/**
 * User and group names → ids, from /etc/passwd and /etc/group (what an
 * appliance has; no NSS modules). A decimal string is an id already.
 */
import { readFileSync } from "node:fs";

function table(path: string): string[][] {
  try {
    return readFileSync(path, "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":"));
  } catch {
    return [];
  }
}

/** Largest id a uid_t/gid_t can name ((uid_t)-1 means "no change" to chown). */
export const MAX_ID = 4_294_967_294;

function lookup(path: string, nameOrId: string): number | null {
  if (/^[0-9]{1,10}$/.test(nameOrId)) return Number(nameOrId) <= MAX_ID ? Number(nameOrId) : null;
  if (/^[0-9]+$/.test(nameOrId)) return null;
  const row = table(path).find((r) => r[0] === nameOrId);
  return row && /^[0-9]+$/.test(row[2] ?? "") ? Number(row[2]) : null;
}

export const uidOf = (nameOrId: string, passwd = "/etc/passwd"): number | null => lookup(passwd, nameOrId);

/** A user's primary group id (field 4 of /etc/passwd), or null. */
export function primaryGidOf(nameOrId: string, passwd = "/etc/passwd"): number | null {
  const uid = lookup(passwd, nameOrId);
  const row = uid === null ? undefined : table(passwd).find((r) => r[2] === String(uid));
  return row && /^[0-9]+$/.test(row[3] ?? "") ? Number(row[3]) : null;
}
export const gidOf = (nameOrId: string, group = "/etc/group"): number | null => lookup(group, nameOrId);

/**
 * The uid a component's processes run as: its `user`'s, or null when it
 * names none (it starts as root and may drop to any user itself).
 */
export function componentUid(c: { readonly user: string | null }): number | null {
  return c.user === null ? null : uidOf(c.user);
}

/** A user's name and home directory (fields 1 and 6 of /etc/passwd), or null. */
export function userEntry(nameOrId: string, passwd = "/etc/passwd"): { name: string; home: string } | null {
  const uid = lookup(passwd, nameOrId);
  const row = uid === null ? undefined : table(passwd).find((r) => r[2] === String(uid));
  return row ? { name: row[0] ?? nameOrId, home: row[5] || "/" } : null;
}
