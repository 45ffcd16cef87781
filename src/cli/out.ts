/**
 * Standard output and error for the CLI, written synchronously.
 * `process.stdout.write` into a pipe is asynchronous in Bun and
 * `process.exit` drops what the pipe has not taken yet (`hamon status | wc -l`
 * lost everything past 64 KiB); `Bun.write(Bun.stdout, …)` duplicated 64 KiB
 * of a large write into a slow pipe (Bun 1.x). A blocking write loop has
 * neither problem; EAGAIN (a non-blocking pipe someone handed us) is waited out.
 */
import { writeSync } from "node:fs";

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, s: string): void {
  const buf = Buffer.from(s);
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return; // the reader went away (`| head`): nothing left to say
      if (code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

export function out(s: string): void {
  writeAll(1, s);
}

export function err(s: string): void {
  writeAll(2, s);
}

/** Says `text` on stderr and returns `code`: a command's failure in one statement (`return failWith(why, EXIT.CONFIG)`). */
export function failWith(text: string, code: number): number {
  err(text);
  return code;
}
