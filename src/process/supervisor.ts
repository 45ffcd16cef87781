/**
 * Supervision of the daemons the monitor owns or watches, on ProcessControl
 * (control.ts; a fake in tests).
 *
 * - spawn: argv (never a shell), detached (setsid: its own session and process
 *   group, so it outlives a monitor crash and a stop can signal the group).
 * - adopt: a process a previous monitor spawned (from the journal), or a
 *   daemon started by someone else (pidfile): watched by polling, identified
 *   by pid *and* start time so a recycled pid is never mistaken for it.
 * - stop: the stop argv if configured, else SIGTERM to the group; SIGKILL to
 *   the group after the stop timeout.
 *
 * Unexpected deaths are reported through `onExit`; deaths hamon caused
 * (stop, restart) are not.
 */
import { reapGroup, realProcesses, type ProcessControl, type ProcRef, type SpawnOptions } from "./control.ts";
import { readPidfile, type PidRules } from "./pidfile.ts";
import { runWithDeadline } from "./run.ts";
import { escalateStop, type StopOutcome } from "./stop.ts";

export interface ExitInfo {
  name: string;
  pid: number;
  /** "exited with status 3", "killed by SIGKILL", "vanished". */
  how: string;
  /** The exit code when it exited by itself (null: a signal, or a watched process that vanished). */
  code: number | null;
  /** Its start time (clock ticks since boot). */
  startTime: number;
  /** The process group hamon created for it, or null. */
  group: number | null;
}

interface Proc extends ProcRef {
  name: string;
  pid: number;
  startTime: number;
  /** The process group hamon created for it (see ProcRef), or null: signalled alone. */
  group: number | null;
  /** hamon spawned it (or a previous hamon did): hamon stops it; else (attached) hamon only watches it. */
  owned: boolean;
  stopping: boolean;
  exited: Promise<void>;
  markExited: () => void;
}

export interface SupervisorOptions {
  onExit(info: ExitInfo): void;
  log(level: "info" | "warn", line: string, fields?: Record<string, string | number>): void;
  /** Default: the real processes. */
  control?: ProcessControl;
  /** Waits `ms` (the stop deadline): the monitor's loop clock (default: the runtime's). */
  sleep?: (ms: number) => Promise<void>;
  /** Sees watched (not child) processes die at once (death-watch.ts: a pidfd each); its report comes back through `died`. */
  deaths?: { add(pid: number): void; remove(pid: number): void; readonly usable: boolean } | null;
}

/** How often adopted/attached processes are checked (kill 0; start time every 10th). */
export const LIVENESS_MS = 100;
/**
 * With the death watcher (a pidfd each, its identity checked again once the
 * pidfd is open: `verify`), the poll is only a backstop: a death the watcher
 * would miss has no known cause left, and a watcher thread that ends turns
 * the poll back to LIVENESS_MS at once. Every 5 s it kept an idle monitor's
 * collector busy (bench:idle --adopt, 20 s settle: 0.053–0.066 % → 0.034 % of a core).
 */
export const LIVENESS_BACKSTOP_MS = 60_000;

export class Supervisor {
  private readonly procs = new Map<string, Proc>();
  private readonly watched: Proc[] = [];
  private polls = 0;

  private readonly pc: ProcessControl;

  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: SupervisorOptions) {
    this.pc = o.control ?? realProcesses;
    this.sleep = o.sleep ?? ((ms) => Bun.sleep(ms));
  }

  pidOf(name: string): number {
    return this.procs.get(name)?.pid ?? 0;
  }

  startTimeOf(name: string): number {
    return this.procs.get(name)?.startTime ?? 0;
  }

  owns(name: string): boolean {
    return this.procs.get(name)?.owned ?? false;
  }

  alive(name: string): boolean {
    return this.procs.has(name);
  }

  get watchedCount(): number {
    return this.watched.length;
  }

  /** Starts `argv` in its own session. Throws if it cannot be executed. */
  spawn(name: string, argv: string[], env: Record<string, string>, more: Omit<SpawnOptions, "env"> = {}): number {
    let markExited = () => {};
    const exited = new Promise<void>((r) => (markExited = r));
    const p: Proc = { name, pid: 0, startTime: 0, group: null, owned: true, stopping: false, exited, markExited };
    const child = this.pc.spawn(argv, { ...more, env });
    p.pid = child.pid;
    p.startTime = child.startTime;
    // setsid at spawn made it the leader of a group of its own: that group is ours to signal.
    p.group = more.session === false ? null : child.pid;
    this.procs.set(name, p);
    void child.exited.then((s) => this.exited(p, s.how, s.code));
    return child.pid;
  }

  /**
   * Watches a running process; false when `pid` is gone, is not the process
   * started at `startTime`, or is pid 1 or the monitor. `group`: the process
   * group hamon created for it (an owned daemon a previous monitor spawned
   * leads its own), or null (signalled alone).
   */
  adopt(name: string, pid: number, startTime: number | null, owned: boolean, group: number | null = null): boolean {
    if (pid <= 1 || pid === process.pid) return false;
    const st = this.pc.stat(pid);
    if (st === null || (startTime !== null && startTime !== 0 && st.startTime !== startTime)) return false;
    let markExited = () => {};
    const exited = new Promise<void>((r) => (markExited = r));
    const g = owned && group !== null && st.pgrp === group ? group : null;
    const p: Proc = { name, pid, startTime: st.startTime, group: g, owned, stopping: false, exited, markExited };
    this.procs.set(name, p);
    this.watched.push(p);
    this.o.deaths?.add(pid);
    return true;
  }

  /** The death watcher opened `pid`'s pidfd: if the pid is no longer the process adopted (reused before the open), it is gone. */
  verify(pid: number): void {
    for (const p of this.watched) if (p.pid === pid && this.pc.startTime(pid) !== p.startTime) return this.exited(p, "vanished (no longer running)");
  }

  /** The death watcher saw `pid` exit (its pidfd became readable): dead, reaped or not; collected now if it is our child (an orphan reparented to us). */
  died(pid: number): void {
    for (const p of this.watched) {
      if (p.pid !== pid) continue;
      this.pc.reap(pid);
      return this.exited(p, "vanished (no longer running)");
    }
  }

  /** Reads a pid file and adopts that pid (not owned: hamon watches it and never signals it). */
  attachPidfile(name: string, path: string, rules: PidRules): { ok: true; pid: number } | { ok: false; why: string } {
    const r = readPidfile(path, this.pc, rules); // the one pid-file reader (bounded, never blocks, never follows a link)
    if ("why" in r) return { ok: false, why: r.why };
    if (!this.adopt(name, r.pid, r.startTime, false)) return { ok: false, why: `pidfile ${path}: process ${r.pid} is not running` };
    return { ok: true, pid: r.pid };
  }

  /** How often poll() should run: LIVENESS_MS, or LIVENESS_BACKSTOP_MS when the death watcher sees deaths at once. */
  get livenessMs(): number {
    return this.o.deaths?.usable ? LIVENESS_BACKSTOP_MS : LIVENESS_MS;
  }

  /**
   * Liveness of adopted/attached processes. Call every `livenessMs`. One that
   * became our child (a forking daemon reparented to the subreaper monitor)
   * is collected the moment it dies; the others are seen by kill 0, and by
   * their start time every 10th poll (a zombie or a recycled pid passes kill 0).
   */
  poll(): void {
    const deep = this.o.deaths?.usable ? true : ++this.polls % 10 === 0; // the backstop (1 s) always checks the start time: a reused pid passes kill 0
    for (let i = this.watched.length - 1; i >= 0; i--) {
      const p = this.watched[i]!;
      if (this.pc.reap(p.pid) || (deep ? this.pc.startTime(p.pid) !== p.startTime : !this.pc.exists(p.pid))) this.exited(p, "vanished (no longer running)");
    }
  }

  /** Forgets a watched process without signalling it (deactivate of an attached daemon, monitor shutdown). */
  release(name: string): void {
    const p = this.procs.get(name);
    if (!p) return;
    p.stopping = true;
    this.forget(p);
  }

  /**
   * Stops `name`: its stop argv (with the stop deadline, then SIGKILL), or the
   * one escalation (stop.ts: SIGTERM, SIGCONT, SIGKILL at `timeoutMs`).
   * Resolves when it is gone, with how.
   */
  async stop(name: string, stopArgv: string[] | null, timeoutMs: number, env: Record<string, string>): Promise<string> {
    const p = this.procs.get(name);
    if (!p) return "not running";
    p.stopping = true;
    let how: StopOutcome;
    if (stopArgv) {
      // In a group of its own with the stop deadline: a stop command that hangs is killed, never the monitor's group.
      void runWithDeadline(stopArgv, { env: { ...env, HAMON_PID: String(p.pid) }, timeoutMs, control: this.pc }).then((r) => {
        if (!r.exit) this.o.log("warn", "stop command failed to start", { component: name, error: r.startError ?? "" });
      });
      const done = await Promise.race([p.exited.then(() => true), this.sleep(timeoutMs).then(() => false)]);
      how = done ? "stopped" : await escalateStop(this.pc, p, 0, p.exited, "SIGKILL", this.sleep);
    } else {
      // A stopped (SIGSTOP) daemon is woken so that it acts on SIGTERM (watchfrr's restart never wakes one).
      how = await escalateStop(this.pc, p, timeoutMs, p.exited, "SIGTERM", this.sleep);
    }
    if (how !== "stopped") this.o.log("warn", "stop timed out: SIGKILL", { component: name, pid: p.pid, timeout_ms: timeoutMs });
    if (p.group !== null) reapGroup(this.pc, p.group); // stragglers left in its group
    return how === "stopped" ? "stopped" : `killed after ${timeoutMs} ms`;
  }

  /** Kills whatever is left of the group hamon created for a process that died (a daemon's forked children); nothing for one without. */
  reap(info: ExitInfo): void {
    if (info.group !== null) reapGroup(this.pc, info.group);
  }

  private exited(p: Proc, how: string, code: number | null = null): void {
    if (this.procs.get(p.name) === p) this.forget(p);
    else this.unwatch(p);
    p.markExited();
    if (!p.stopping) this.o.onExit({ name: p.name, pid: p.pid, how, code, startTime: p.startTime, group: p.group });
  }

  private forget(p: Proc): void {
    if (this.procs.get(p.name) === p) this.procs.delete(p.name);
    this.unwatch(p);
  }

  private unwatch(p: Proc): void {
    const i = this.watched.indexOf(p);
    if (i < 0) return;
    this.watched.splice(i, 1);
    this.o.deaths?.remove(p.pid);
  }
}
