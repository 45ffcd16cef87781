/**
 * OpenSSH's StrictModes for the directory a root hamon trusts: the monitor's
 * socket directory, where its lock file lies beside the socket. Anyone who
 * may create entries there can plant `<socket>.lock` (a FIFO, a file that
 * names a pid to kill) or swap the socket for a fake. So the directory must
 * be a real directory owned by a trusted uid (root, or the user hamon runs
 * as) that no one else may write; each ancestor must be owned by a trusted
 * uid too and be writable by no one else unless sticky (/tmp: others cannot
 * rename or remove what is ours inside it).
 *
 * @example
 *   strictDirProblem("/run/hamon", [0]) // null, or "…/run/hamon is writable by its group (mode 775)…"
 */
import { lstatSync } from "node:fs";
import { dirname } from "node:path";

/** The uids a root process may trust with a directory: root and itself. */
export function trustedUids(): number[] {
  const me = process.geteuid?.() ?? 0;
  return me === 0 ? [0] : [0, me];
}

/** Why `dir` cannot be trusted, or null when it can. */
export function strictDirProblem(dir: string, trusted: readonly number[] = trustedUids()): string | null {
  let path = dir;
  for (let depth = 0; depth < 64; depth++) {
    let st;
    try {
      st = lstatSync(path);
    } catch (e) {
      return `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    if (st.isSymbolicLink()) return `${path} is a symbolic link; configure the real path`;
    if (!st.isDirectory()) return `${path} is not a directory`;
    const mode = (st.mode & 0o7777).toString(8);
    if (!trusted.includes(st.uid)) return `${path} belongs to uid ${st.uid}, not to root or the user hamon runs as`;
    const othersWrite = (st.mode & 0o022) !== 0;
    // The socket's own directory: no one else may create entries at all. An ancestor: unless sticky.
    if (othersWrite && (path === dir || (st.mode & 0o1000) === 0)) return `${path} is writable by ${st.mode & 0o002 ? "everyone" : "its group"} (mode ${mode})`;
    const up = dirname(path);
    if (up === path) return null;
    path = up;
  }
  return null;
}
