/**
 * Crash-safe file replacement: write a temp file in the same directory,
 * fsync it, rename it over the target, fsync the directory. A reader (or a
 * monitor restarted after a power cut) sees the old content or the new, never
 * a torn file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export function writeAtomic(path: string, data: string, mode = 0o640): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const tmp = `${path}.tmp.${process.pid}`;
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
