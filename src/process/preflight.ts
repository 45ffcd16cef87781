/**
 * What `hamon monitor --check-config` checks beyond the file itself, so that
 * "valid" means the daemons can start: each `start[0]` exists, is a regular
 * file, and is executable by the user the daemon runs as (its `user`, in its
 * primary group or `group`; root needs one execute bit). Not at start-up: a
 * binary missing then is a start failure of that daemon alone (retried with
 * its backoff), never a monitor that refuses to run.
 */
import { statSync } from "node:fs";
import type { MonitorConfig } from "../config/config.ts";
import { gidOf, primaryGidOf, uidOf } from "../sys/accounts.ts";

export function startErrors(c: MonitorConfig): string[] {
  const errors: string[] = [];
  for (const comp of c.components) {
    const bin = comp.start?.[0];
    if (!bin) continue;
    const at = `component '${comp.name}'.start[0]`;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(bin);
    } catch (e) {
      errors.push(`${at}: ${bin} ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be looked at (${(e as NodeJS.ErrnoException).code})`}`);
      continue;
    }
    if (!st.isFile()) {
      errors.push(`${at}: ${bin} is not a regular file`);
      continue;
    }
    const uid = comp.user === null ? 0 : uidOf(comp.user);
    if (uid === null) continue; // an unknown user is its own error (the policy's)
    const gid = comp.group !== null ? gidOf(comp.group) : comp.user !== null ? primaryGidOf(comp.user) : 0;
    const mode = Number(st.mode);
    const x = uid === 0 ? (mode & 0o111) !== 0 : Number(st.uid) === uid ? (mode & 0o100) !== 0 : Number(st.gid) === gid ? (mode & 0o010) !== 0 : (mode & 0o001) !== 0;
    if (!x) errors.push(`${at}: ${bin} is not executable by ${comp.user ?? "root"} (mode ${(mode & 0o777).toString(8)}, owner ${st.uid}:${st.gid})`);
  }
  return errors;
}
