/**
 * The monitor's file writes, each checked to its last byte (a full disk makes
 * write(2) return short before it fails: ignoring the count leaves a torn
 * file that looks written).
 *
 * - writeAtomic: write a temp file in the same directory, every byte checked,
 *   rename it over the target. A reader (a monitor started after this one was
 *   killed) sees the old content or the new, never a torn file. `durable`
 *   (the default) also fsyncs the file before the rename and the directory
 *   after, so the same holds after a power cut; without it the write costs
 *   no disk wait (tens of µs instead of milliseconds), and syncDurable later
 *   makes it survive a power cut. With `keepPrevious` the replaced file is kept
 *   under that name first, so a reader whose current copy is damaged can fall
 *   back. On any failure the temp file is removed and the target left as it was.
 * - syncDurable: fsync a file and its directory off the event loop (the
 *   thread pool), for a file written with durable = false.
 * - appendLine: one record appended whole or not at all (a short append is
 *   cut back to the old length), so a line is never merged with the next.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";

/** Writes all of `buf` at the file position, or throws (a write that makes no progress is ENOSPC). */
export function writeFully(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error(`short write: ${off} of ${buf.length} bytes (ENOSPC)`), { code: "ENOSPC" });
    off += n;
  }
}

export interface AtomicOptions {
  /** Keep the replaced file under this name (a hard link: the target never disappears). */
  readonly keepPrevious?: string;
  /** fsync file and directory (default true): survives a power cut, at the cost of a disk wait on the caller's thread. */
  readonly durable?: boolean;
}

export function writeAtomic(path: string, data: string | Uint8Array, mode = 0o640, o: AtomicOptions = {}): void {
  const { keepPrevious, durable = true } = o;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const tmp = `${path}.tmp.${process.pid}`;
  const buf = typeof data === "string" ? Buffer.from(data) : data;
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
    try {
      writeFully(fd, buf);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (keepPrevious) {
      // A hard link, not a rename: the target never disappears, even for an instant.
      try {
        unlinkSync(keepPrevious);
      } catch {
        /* none yet */
      }
      try {
        linkSync(path, keepPrevious);
      } catch {
        /* no current file to keep */
      }
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw e;
  }
  if (!durable) return;
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** fsyncs `path` and its directory in the thread pool (never the caller's loop); rejects with the error. */
export async function syncDurable(path: string): Promise<void> {
  for (const p of [path, dirname(path)]) {
    const h = await open(p, "r");
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}

/** Appends `line` (ending in "\n") whole, or throws leaving the file as it was. */
export function appendLine(path: string, line: string, mode = 0o640): number {
  const buf = Buffer.from(line);
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
  try {
    const before = fstatSync(fd).size;
    try {
      writeFully(fd, buf);
    } catch (e) {
      try {
        ftruncateSync(fd, before); // never leave half a line for the next record to merge with
      } catch {
        /* nothing more can be done; the reader reports the line it cannot parse */
      }
      throw e;
    }
    return buf.length;
  } finally {
    closeSync(fd);
  }
}
