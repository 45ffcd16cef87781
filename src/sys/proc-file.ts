/**
 * Small /proc files read into one buffer kept between reads. A whole-file
 * read (readFileSync) of a /proc file, whose size says 0, makes the runtime
 * allocate a 256 KiB buffer per call; the liveness backstop, the orphan
 * sweep, the watchdog's writer check and every connection's credentials
 * read one, so an idle monitor kept its allocator and collector busy. The
 * buffer starts at 4 KiB and doubles when a file fills it (a children list
 * of thousands, a Groups line of hundreds); a /proc file may come in several
 * reads, so it is read to its end.
 *
 * For the main thread's synchronous readers, one at a time: the bytes are
 * valid until the next call.
 *
 * @example
 *   const n = readProc(`/proc/${pid}/stat`); if (n > 0) parse(procBytes(), n);
 */
import { closeSync, openSync, readSync } from "node:fs";

let buf = Buffer.allocUnsafe(4096);

/** Reads `path` whole into the shared buffer; its length, or -1 when it cannot be opened or read. */
export function readProc(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return -1;
  }
  try {
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, n);
        buf = grown;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) return n;
      n += got;
    }
  } catch {
    return -1;
  } finally {
    closeSync(fd);
  }
}

/** The buffer the last readProc filled (it may be replaced by a longer one at the next). */
export function procBytes(): Buffer {
  return buf;
}

/** The same, as text (cmdline, environ, status: read at a scan or a connection, not per tick); null when it cannot be read. */
export function readProcText(path: string): string | null {
  const n = readProc(path);
  return n < 0 ? null : buf.toString("utf8", 0, n);
}
