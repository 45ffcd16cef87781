/**
 * Restart latency measured from outside, the same way for every supervisor:
 * each daemon writes its pid to DIR/d<i>.pid and becomes `sleep infinity`;
 * kill -9 of one, and "running again" is the moment a new pid is in its
 * file, seen through inotify (fs.watch): no polling of ours. Used by
 * `npm run bench:plain` and test/monitor/adopted-death.test.ts.
 */
import { readFileSync, watch } from "node:fs";
import { join } from "node:path";

/** Daemon i: writes its pid to DIR/d<i>.pid, then becomes `sleep infinity` (the issue's daemon). */
export function daemonArgv(dir: string, i: number): string[] {
  return ["/bin/sh", "-c", `echo $$ > ${join(dir, `d${i}.pid`)}; exec /bin/sleep infinity`];
}

export function readPid(file: string): number {
  try {
    return Number(readFileSync(file, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/** kill -9 of daemon i; resolves with the ms until a new pid is in its file (inotify on the directory). */
export async function killAndWait(dir: string, i: number): Promise<number> {
  const file = join(dir, `d${i}.pid`);
  let old = readPid(file);
  for (let n = 0; old === 0 && n < 1_000; n++, old = readPid(file)) await Bun.sleep(5); // "up" comes at spawn, the file a moment later
  if (old === 0) throw new Error(`${file}: no pid written`); // never kill(0): that is our own process group
  let t = 0;
  const done = new Promise<number>((resolve) => {
    // `echo $$ > f` is a truncate then a write; the second event may be merged into the first
    // (inotify merges an unread identical event), so an empty file is looked at again until written.
    const check = () => {
      const p = readPid(file);
      if (p && p !== old) {
        const at = performance.now();
        w.close();
        resolve(at - t);
      } else if (p === 0) setTimeout(check, 0);
    };
    const w = watch(dir, (_ev, name) => {
      if (name === `d${i}.pid` && t !== 0) check();
    });
  });
  t = performance.now();
  process.kill(old, "SIGKILL");
  const late = setTimeout(() => console.error(`d${i}: no new pid after 5 s (file says ${readPid(file)}, was ${old})`), 5_000);
  return done.finally(() => clearTimeout(late));
}

