/**
 * Reading a plain daemon's log (`output = "log"`): `<state dir>/logs/NAME.log`
 * and its rotated predecessors NAME.log.1, NAME.log.2, … (written by the
 * monitor's log writer, process/daemon-logs.ts; rotated by rename).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";

export function logPath(stateDir: string, name: string): string {
  return join(stateDir, "logs", `${name}.log`);
}

/** The last `n` lines of a daemon's log (reaching into NAME.log.1 when the current file has fewer). */
export function tailLog(path: string, n: number): string[] {
  const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8").split("\n").filter((l, i, a) => l !== "" || i < a.length - 1) : []);
  let lines = read(path);
  if (lines.length < n) lines = [...read(`${path}.1`), ...lines];
  return lines.slice(-n);
}

/** Prints what is appended to `path` from now on (a truncation by rotation starts it over) until `stop`. */
export async function followLog(path: string, print: (s: string) => void, stop: Promise<unknown>, pollMs = 200): Promise<void> {
  let done = false;
  void stop.then(() => (done = true));
  let offset = existsSync(path) ? statSync(path).size : 0;
  let ino = existsSync(path) ? statSync(path).ino : 0;
  while (!done) {
    await Promise.race([Bun.sleep(pollMs), stop]);
    let size: number;
    try {
      const st = statSync(path);
      size = st.size;
      if (st.ino !== ino) {
        ino = st.ino; // rotated (renamed away): the new file is read from its start
        offset = 0;
      }
    } catch {
      continue;
    }
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      print(buf.subarray(0, n).toString("utf8"));
    } finally {
      closeSync(fd);
    }
  }
}
