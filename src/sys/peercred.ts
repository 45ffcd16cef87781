/**
 * Who is on the other end of a UNIX stream connection, from the kernel:
 * SO_PEERCRED gives the pid, uid and gid the peer had when it connected (it
 * cannot lie about them). Supplementary groups are not in SO_PEERCRED; they
 * are read from /proc/PID/status at connect time (documented in
 * docs/security.md: a peer that changes its groups afterwards keeps the
 * rights it connected with).
 *
 * Fallback: where the fd is not available (a Bun without `socket.fd`) or the
 * call fails, the credentials are null and the policy treats the peer as
 * unknown: read-only verbs only, no registration of a declared component
 * with a `user`, no control verb (docs/security.md §Fallback).
 */
import { readProcText } from "./proc-file.ts";
import { libc, ptr, SO_PEERCRED, SOL_SOCKET } from "./libc.ts";

export interface PeerCred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /** Primary and supplementary groups. */
  readonly groups: readonly number[];
}

const credBuf = new Int32Array(3);
const lenBuf = new Uint32Array(1);

/** The peer's credentials, or null when the platform cannot tell. */
export function peerCred(fd: number): PeerCred | null {
  if (fd < 0) return null;
  lenBuf[0] = 12;
  if (libc.symbols.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ptr(credBuf), ptr(lenBuf)) !== 0 || lenBuf[0] !== 12) return null;
  const [pid, uid, gid] = [credBuf[0]!, credBuf[1]! >>> 0, credBuf[2]! >>> 0];
  return { pid, uid, gid, groups: groupsOf(pid, gid) };
}

function groupsOf(pid: number, gid: number): number[] {
  const out = [gid];
  // Every connection's: read into the shared /proc buffer (proc-file.ts), not 256 KiB each. Gone already: the primary group is what we know.
  const status = readProcText(`/proc/${pid}/status`);
  if (status === null) return out;
  const line = /^Groups:\t?(.*)$/m.exec(status)?.[1] ?? "";
  for (const g of line.trim().split(/\s+/)) if (g !== "" && !out.includes(Number(g))) out.push(Number(g));
  return out;
}
