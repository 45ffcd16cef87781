/**
 * The daemon-log writer, on a thread of its own (a Worker): it drains each
 * daemon's output pipe and writes `<state>/logs/NAME.log` through a
 * descriptor only it holds, rotating by rename when the file reaches
 * `maxBytes` (NAME.log → NAME.log.1 → … → NAME.log.KEEP, the oldest
 * dropped). Nothing the daemon does to its stdout (ftruncate, fallocate,
 * seek) reaches our file: it holds a pipe, not the file. So a component's
 * logs take at most (keep + 1) × maxBytes of disk, whatever it writes, and
 * the monitor's loop never copies, renames or writes a byte of them.
 *
 * A flood is paced by the pipe (the daemon's write blocks while we write,
 * as under runit's svlogd): no line is dropped. A full disk drops what
 * cannot be written (counted, said once) and keeps draining, so the daemon
 * never blocks on our disk.
 *
 * Messages in: { op: "attach", name, fd, path, maxBytes, keep } (a read
 * end to drain; several per name while an old instance's children still
 * write). Out: { op: "rotated" | "error" | "recovered", name, … }.
 */
import { closeSync, constants, fstatSync, openSync, renameSync, writeSync } from "node:fs";

declare const self: Worker;

const O_NOFOLLOW = 0o400000;

export type ToWorker = { op: "attach"; name: string; fd: number; path: string; maxBytes: number; keep: number };
export type FromWorker =
  | { op: "rotated"; name: string }
  | { op: "error"; name: string; error: string; lostBytes: number }
  | { op: "recovered"; name: string; lostBytes: number };

interface Writer {
  fd: number;
  path: string;
  size: number;
  maxBytes: number;
  keep: number;
  streams: number;
  lostBytes: number;
  failing: boolean;
}

const writers = new Map<string, Writer>();
const post = (m: FromWorker) => postMessage(m);

function openFile(path: string, truncate: boolean): number {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | O_NOFOLLOW | (truncate ? constants.O_TRUNC : 0), 0o640);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new Error(`${path} is not a regular file`);
  }
  return fd;
}

function writerFor(name: string, path: string, maxBytes: number, keep: number): Writer {
  let w = writers.get(name);
  if (w) {
    w.maxBytes = maxBytes;
    w.keep = keep;
    return w;
  }
  const fd = openFile(path, false);
  w = { fd, path, size: fstatSync(fd).size, maxBytes, keep, streams: 0, lostBytes: 0, failing: false };
  writers.set(name, w);
  return w;
}

/** NAME.log.(keep-1) → .keep, …, NAME.log → .1, then a new NAME.log: renames only, no byte copied. */
function rotate(name: string, w: Writer): void {
  closeSync(w.fd);
  for (let i = w.keep - 1; i >= 1; i--) {
    try {
      renameSync(`${w.path}.${i}`, `${w.path}.${i + 1}`);
    } catch {
      /* not there yet */
    }
  }
  try {
    renameSync(w.path, `${w.path}.1`);
  } catch {
    /* removed by hand: start over */
  }
  w.fd = openFile(w.path, true);
  w.size = 0;
  post({ op: "rotated", name });
}

function write(name: string, w: Writer, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      if (w.size >= w.maxBytes) rotate(name, w);
      let len = Math.min(chunk.length - off, w.maxBytes - w.size);
      if (len < chunk.length - off) {
        // It would cross the limit: end this file at a line's end when there is one in what fits (else a fresh
        // file for it; a line longer than a whole file is cut).
        const nl = chunk.lastIndexOf(10, off + len - 1);
        if (nl >= off) len = nl + 1 - off;
        else if (w.size > 0) {
          rotate(name, w);
          continue;
        }
      }
      const n = writeSync(w.fd, chunk, off, len);
      w.size += n;
      off += n;
      if (w.failing) {
        w.failing = false;
        post({ op: "recovered", name, lostBytes: w.lostBytes });
      }
    } catch (e) {
      // ENOSPC, EIO, a rotation that failed: what cannot be written now is dropped (and counted), never waited for.
      w.lostBytes += chunk.length - off;
      if (!w.failing) post({ op: "error", name, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message, lostBytes: w.lostBytes });
      w.failing = true;
      return;
    }
  }
}

async function drain(name: string, fd: number, w: Writer): Promise<void> {
  w.streams++;
  try {
    for await (const chunk of Bun.file(fd).stream()) write(name, w, chunk);
  } catch {
    /* the pipe went away */
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* closed */
    }
    if (--w.streams === 0 && writers.get(name) === w) {
      writers.delete(name);
      try {
        closeSync(w.fd);
      } catch {
        /* closed */
      }
    }
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  let w: Writer;
  try {
    w = writerFor(m.name, m.path, m.maxBytes, m.keep);
  } catch (err) {
    closeSync(m.fd);
    post({ op: "error", name: m.name, error: (err as Error).message, lostBytes: 0 });
    return;
  }
  void drain(m.name, m.fd, w);
};
