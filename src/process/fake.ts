/**
 * A fake ProcessControl for tests: processes are records, time does not
 * pass by itself, nothing runs. Programs are chosen by argv[0]'s last part
 * (a config needs an absolute path: "/fake/exit" is "exit"):
 *   ["exit", "3"]      exits with 3 at once (next microtask)
 *   ["sleep"]          runs until a signal ends it (SIGTERM, SIGKILL, …)
 *   ["ignore-term"]    runs until SIGKILL (SIGTERM is ignored)
 *   ["missing"]        cannot be executed: spawn throws (like ENOENT)
 * `kill(pid)` makes one die on its own (a crash); `vanish(pid)` removes a
 * process that is not our child (an adopted one died).
 *
 * @example
 *   const f = new FakeProcesses(); const p = f.spawn(["sleep"]); f.kill(p.pid, "SIGKILL");
 */
import { describeExit, type ExitStatus, type ProcessControl, type SpawnOptions, type Spawned } from "./control.ts";

interface FakeProc {
  pid: number;
  startTime: number;
  argv: readonly string[];
  env: Record<string, string>;
  alive: boolean;
  ignoreTerm: boolean;
  done: (s: ExitStatus) => void;
  signals: string[];
}

export class FakeProcesses implements ProcessControl {
  private nextPid = 1000;
  private ticks = 1;
  readonly procs = new Map<number, FakeProc>();

  spawn(argv: readonly string[], o: SpawnOptions = {}): Spawned {
    const prog = argv[0]?.slice(argv[0].lastIndexOf("/") + 1);
    if (prog === "missing") throw Object.assign(new Error(`${argv[0]}: No such file or directory`), { code: "ENOENT" });
    const pid = this.nextPid++;
    let done!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => (done = r));
    const p: FakeProc = { pid, startTime: this.ticks++, argv, env: { ...(o.env ?? {}) }, alive: true, ignoreTerm: prog === "ignore-term", done, signals: [] };
    this.procs.set(pid, p);
    if (prog === "exit") queueMicrotask(() => this.end(p, describeExit(Number(argv[1] ?? 0), null)));
    return { pid, startTime: p.startTime, exited, unref() {} };
  }

  /** A process started elsewhere (to adopt): alive until vanish(). */
  external(argv: readonly string[] = ["sleep"]): { pid: number; startTime: number } {
    const pid = this.nextPid++;
    const p: FakeProc = { pid, startTime: this.ticks++, argv, env: {}, alive: true, ignoreTerm: false, done: () => {}, signals: [] };
    this.procs.set(pid, p);
    return { pid, startTime: p.startTime };
  }

  startTime(pid: number): number | null {
    const p = this.procs.get(pid);
    return p?.alive ? p.startTime : null;
  }

  stat(pid: number): { ppid: number; pgrp: number; session: number; startTime: number } | null {
    const p = this.procs.get(pid);
    return p?.alive ? { ppid: process.pid, pgrp: pid, session: pid, startTime: p.startTime } : null;
  }

  uids(pid: number): { real: number; effective: number } | null {
    return this.procs.get(pid)?.alive ? { real: 0, effective: 0 } : null;
  }

  reap(_pid: number): boolean {
    return false;
  }

  reapOrphans(): number {
    return 0;
  }

  exists(pid: number): boolean {
    return this.procs.get(pid)?.alive ?? false;
  }

  signal(pid: number, sig: NodeJS.Signals, _group: boolean): void {
    const p = this.procs.get(pid);
    if (!p || !p.alive) return;
    p.signals.push(sig);
    if (sig === "SIGCONT" || sig === "SIGSTOP") return;
    if (sig === "SIGTERM" && p.ignoreTerm) return;
    this.end(p, describeExit(null, sig));
  }

  /** Ends a process as if it crashed (or exited by itself with `code`). */
  kill(pid: number, sig: NodeJS.Signals | null = "SIGKILL", code = 1): void {
    const p = this.procs.get(pid);
    if (p?.alive) this.end(p, sig ? describeExit(null, sig) : describeExit(code, null));
  }

  /** A watched (not child) process disappears: only its liveness changes. */
  vanish(pid: number): void {
    const p = this.procs.get(pid);
    if (p) p.alive = false;
  }

  signalsOf(pid: number): readonly string[] {
    return this.procs.get(pid)?.signals ?? [];
  }

  private end(p: FakeProc, s: ExitStatus): void {
    if (!p.alive) return;
    p.alive = false;
    p.done(s);
  }
}
