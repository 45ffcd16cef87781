/**
 * A daemon outlives a sidecar that is SIGKILLed (OOM killer, a slip of the
 * operator): nothing reaps it, and a naive new sidecar would start a second
 * copy beside it (two bgpd fighting over port 179). Killing it with the
 * sidecar (PR_SET_PDEATHSIG) would bounce a healthy daemon for a crash of its
 * watcher. So the next sidecar for the same name and monitor *adopts* it:
 * nothing the daemon held (sessions, routes) is lost.
 *
 * Every owned daemon is spawned with OWNER_VAR = "NAME SOCKET" in its
 * environment. A new sidecar scans /proc once at start for processes that
 * carry its own mark (only processes of its own uid are readable, which are
 * the only ones it could have spawned). `planAdoption` (pure) decides:
 * - a marked process whose parent is a live sidecar for the same name: that
 *   sidecar still owns it; refuse to start a second owner;
 * - a marked process whose parent is also marked: a child of the daemon, its
 *   business (it goes with the daemon);
 * - the oldest top-level one running exactly our argv: adopt it;
 * - every other top-level one (another argv: the configuration changed; or a
 *   duplicate): stop it, so exactly one copy runs.
 */
import { readdirSync } from "node:fs";
import { readProcText } from "../sys/proc-file.ts";
import { processStat, processUids } from "../sys/proc.ts";

export const OWNER_VAR = "HAMON_SIDECAR_OWNER";
/** The monitor marks the daemons it owns the same way (its own variable: a sidecar's daemon is not the monitor's). */
export const MONITOR_OWNER_VAR = "HAMON_MONITOR_OWNER";

/** The mark a sidecar puts on its daemon: one per (component, monitor). */
export function ownerMark(name: string, socket: string): string {
  return `${name} ${socket}`;
}

export interface Marked {
  pid: number;
  ppid: number;
  /** Its process group (a daemon a monitor spawned leads its own: pgrp = pid). */
  pgrp: number;
  /** Its effective uid: a mark is only an environment variable, which any user can set on its own processes. */
  uid: number;
  startTime: number;
  argv: string[];
}

export interface AdoptionPlan {
  adopt: Marked | null;
  stop: Marked[];
  /** Set when a live sidecar still owns the daemon: start nothing. */
  refuse: string | null;
}

/**
 * Decides from what the scan found. `ownerOf(ppid)` answers whether that
 * parent is a live sidecar for this component (its pid), else null.
 */
export function planAdoption(found: readonly Marked[], argv: readonly string[], ownerOf: (ppid: number) => number | null): AdoptionPlan {
  const marked = new Set(found.map((m) => m.pid));
  const top = found.filter((m) => !marked.has(m.ppid));
  for (const m of top) {
    const owner = ownerOf(m.ppid);
    if (owner !== null) return { adopt: null, stop: [], refuse: `its daemon (pid ${m.pid}) is owned by a running sidecar (pid ${owner})` };
  }
  const same = top.filter((m) => sameArgv(m.argv, argv)).sort((a, b) => a.startTime - b.startTime || a.pid - b.pid);
  const adopt = same[0] ?? null;
  return { adopt, stop: top.filter((m) => m !== adopt), refuse: null };
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Processes carrying `mark` in OWNER_VAR (one pass over /proc; unreadable ones are skipped). */
export function findMarked(mark: string, self = process.pid): Marked[] {
  return scanMarked(OWNER_VAR, self, (v) => v === mark);
}

/**
 * The daemons a monitor on `socket` marked, by component name (one pass over
 * /proc at the monitor's start; a mark is "NAME SOCKET").
 */
export function findMonitorOwned(socket: string, self = process.pid): Map<string, Marked[]> {
  const out = new Map<string, Marked[]>();
  const tail = ` ${socket}`;
  for (const m of scanMarked(MONITOR_OWNER_VAR, self, (v) => v.endsWith(tail))) {
    const name = m.mark.slice(0, -tail.length);
    const list = out.get(name);
    if (list) list.push(m);
    else out.set(name, [m]);
  }
  return out;
}

function scanMarked(variable: string, self: number, match: (value: string) => boolean): (Marked & { mark: string })[] {
  const prefix = `${variable}=`;
  const out: (Marked & { mark: string })[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^[1-9][0-9]*$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === self) continue;
    const env = readProc(pid, "environ");
    const kv = env === null ? undefined : env.split("\0").find((x) => x.startsWith(prefix));
    if (kv === undefined || !match(kv.slice(prefix.length))) continue;
    const st = processStat(pid);
    const argv = readProc(pid, "cmdline");
    const uids = processUids(pid);
    if (st === null || argv === null || uids === null) continue; // ended meanwhile, or a zombie
    out.push({ pid, ppid: st.ppid, pgrp: st.pgrp, uid: uids.effective, startTime: st.startTime, argv: argv.split("\0").slice(0, -1), mark: kv.slice(prefix.length) });
  }
  return out;
}

/** The pid itself when `pid` is a running `hamon component` for `name` (any spelling of --name), else null. */
export function sidecarFor(name: string): (pid: number) => number | null {
  return (pid) => {
    const cmd = readProc(pid, "cmdline");
    if (cmd === null) return null;
    const a = cmd.split("\0");
    const named = a.some((t, i) => (t === "--name" && a[i + 1] === name) || t === `--name=${name}`);
    return a.includes("component") && named ? pid : null;
  };
}

/** Through the shared /proc buffer (sys/proc-file.ts): a scan of every process is not 256 KiB allocated per file. */
function readProc(pid: number, file: string): string | null {
  return readProcText(`/proc/${pid}/${file}`);
}
