/**
 * Daemon logs (`output = "log"`), the monitor's side: each daemon's stdout
 * and stderr go into a pipe whose read end a writer thread drains
 * (log-worker.ts) into `<state>/logs/NAME.log`, rotated by rename at
 * `log_max_bytes`, `log_keep` old files kept. The daemon never holds our
 * file: whatever it does to its descriptor, its logs take at most
 * (log_keep + 1) × log_max_bytes of disk, and the monitor's loop does no
 * log I/O at all.
 *
 * The daemon is started with SIGPIPE ignored (a fixed /bin/sh trampoline that
 * execs it: same pid, its own argv in /proc): when no monitor runs, its
 * writes fail with EPIPE (lines lost) instead of killing it. A new monitor
 * that adopts it opens its stdout and stderr again through /proc/PID/fd (a
 * pipe reopened there is the same pipe) and drains them from then on.
 */
import { accessSync, closeSync, constants, fstatSync, mkdirSync, openSync, readlinkSync } from "node:fs";
import { logPath } from "./logfile.ts";
import { join } from "node:path";
import type { Logger } from "../log.ts";
import { libc, outputPipe } from "../sys/libc.ts";
import { startWorker } from "../sys/worker.ts";
import type { FromWorker, ToWorker } from "./log-worker.ts";

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;

/** argv run with SIGPIPE ignored (inherited across exec): a daemon whose log reader is gone gets EPIPE, not death. */
export function ignoringSigpipe(argv: readonly string[]): string[] {
  return ["/bin/sh", "-c", "trap '' PIPE; exec \"$@\"", "hamon-log", ...argv];
}

/**
 * Spawning through the trampoline would turn a missing binary into the shell's exit 127 (a death, not a start
 * failure): check first, as the spawn itself would have.
 */
export function assertExecutable(path: string): void {
  accessSync(path, constants.X_OK);
}

export interface LogSpec {
  readonly maxBytes: number;
  readonly keep: number;
}

export class DaemonLogs {
  private worker: Worker | null = null;

  constructor(private readonly stateDir: string, private readonly log: Logger) {}

  /** A new pipe for a daemon about to start: its write end (blocking: a full pipe paces the daemon) goes to its stdout and stderr. */
  pipe(): { read: number; write: number } {
    // The logs directory is root's (0750): no one else can plant a file or link where the writer opens.
    mkdirSync(join(this.stateDir, "logs"), { recursive: true, mode: 0o750 });
    return outputPipe();
  }

  /** After the spawn: our copy of the write end goes, the read end is drained by the writer thread. */
  started(name: string, p: { read: number; write: number }, spec: LogSpec): void {
    libc.symbols.close(p.write);
    this.attach(name, p.read, spec);
  }

  /** The spawn failed: both ends go. */
  abandon(p: { read: number; write: number }): void {
    libc.symbols.close(p.write);
    libc.symbols.close(p.read);
  }

  /**
   * A daemon adopted from a previous monitor: its stdout and stderr are
   * opened again through /proc (only when they are pipes: a daemon that
   * pointed them elsewhere is left as it is). Returns how many were attached.
   */
  reattach(name: string, pid: number, spec: LogSpec): number {
    const seen = new Set<number>();
    let n = 0;
    for (const fd of [1, 2]) {
      const link = `/proc/${pid}/fd/${fd}`;
      try {
        if (!readlinkSync(link).startsWith("pipe:")) continue;
        const ours = openSync(link, O_NONBLOCK | O_CLOEXEC); // O_RDONLY: a read end of the same pipe
        const st = fstatSync(ours);
        if (!st.isFIFO() || seen.has(st.ino)) {
          closeSync(ours);
          continue;
        }
        seen.add(st.ino);
        this.attach(name, ours, spec);
        n++;
      } catch {
        /* gone, or not ours to read */
      }
    }
    return n;
  }

  close(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private attach(name: string, fd: number, spec: LogSpec): void {
    const m: ToWorker = { op: "attach", name, fd, path: logPath(this.stateDir, name), maxBytes: spec.maxBytes, keep: spec.keep };
    this.thread().postMessage(m);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker("./process/log-worker.ts", new URL("./log-worker.ts", import.meta.url));
    w.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.op === "rotated") this.log("info", "daemon log rotated", { component: m.name });
      else if (m.op === "error") this.log("warn", "daemon log write failed: output dropped until it works again", { component: m.name, error: m.error, lost_bytes: m.lostBytes });
      else this.log("info", "daemon log writable again", { component: m.name, lost_bytes: m.lostBytes });
    };
    this.worker = w;
    return w;
  }
}
