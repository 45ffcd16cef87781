/**
 * The one way a root hamon reads a small file that someone else may control
 * (a daemon's pid file, the monitor lock's content): OpenSSH's StrictModes
 * and systemd's PIDFile= handling, on the descriptor.
 *
 * - one open, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC: a symlink at the path
 *   is refused (ELOOP), a FIFO opens at once instead of blocking the loop;
 * - fstat of the descriptor opened (never a stat of the path, then an open:
 *   the file could be swapped between the two): a regular file only;
 * - one read of at most `maxBytes` (a sparse 3 GiB file costs what 64 bytes
 *   cost); what lies beyond is "too long", not read.
 *
 * Never throws, never blocks; the caller gets the text and who owns the file.
 *
 * @example
 *   const r = readSmallFile("/run/dnsmasq.pid", 64);
 *   if (r.ok) r.text; // "1234\n"
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

const O_NOFOLLOW = 0o400000;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
/** Open flags for a file an unprivileged user may have planted. */
export const UNTRUSTED_OPEN = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

export type SmallFile =
  | { ok: true; text: string; uid: number; mode: number }
  | { ok: false; why: string; code: string };

export function readSmallFile(path: string, maxBytes: number): SmallFile {
  let fd: number;
  try {
    fd = openSync(path, UNTRUSTED_OPEN);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "EIO";
    return { ok: false, code, why: code === "ELOOP" ? "is a symbolic link (refused)" : code };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, code: "EFTYPE", why: "is not a regular file" };
    // One byte more than allowed tells "too long" from "exactly maxBytes".
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > maxBytes) return { ok: false, code: "EFBIG", why: `is longer than ${maxBytes} bytes` };
    return { ok: true, text: buf.toString("latin1", 0, n), uid: st.uid, mode: st.mode };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "EIO";
    return { ok: false, code, why: code };
  } finally {
    closeSync(fd);
  }
}
