/**
 * The sidecar: represents a daemon that does not link the library.
 *
 * - It owns the daemon (`argv`: spawns it, and restarts or stops it when the
 *   monitor asks with `<query kind="action" action="restart|stop">`), or
 *   watches one started elsewhere (`pid`, or `pidfile`: re-read after a death,
 *   so a daemon restarted by someone else is followed under its new pid).
 * - It registers the daemon under the daemon's pid, registers again with the
 *   new pid after a restart, and rides through monitor restarts (library).
 * - Health: the process is alive, and the worst of its checks: probes
 *   (connect, optionally send/expect) and exec checks, run by the same
 *   CheckRunner the monitor uses for its own plain daemons (src/probes), every
 *   `intervalMs`; a change is reported at once; a health query checks anew.
 *   Audit queries run the audit command (src/probes/exec.ts).
 * - When an owned daemon dies, the sidecar reports `failed` with the cause and
 *   waits for the monitor's decision (restart-daemon arrives as an action);
 *   `exitWithDaemon` instead exits with the daemon's status, for a sidecar that
 *   is itself supervised. A watched `pid` cannot come back: the sidecar exits 1.
 * - A daemon left running by a sidecar that was SIGKILLed is adopted by the
 *   next sidecar for the same name and monitor instead of started twice
 *   (src/sidecar/orphan.ts).
 * - SIGTERM/SIGINT: an owned daemon is stopped (SIGTERM, then SIGKILL after
 *   `stopTimeoutMs`), the component deregisters (no alarm), and the sidecar
 *   exits with the daemon's status; a watched daemon is left alone (exit 0).
 */
import { untilSignal } from "../sys/signals.ts";
import { Component, type QueryAnswer } from "../library/component.ts";
import type { Health, Kind, Plane } from "../protocol/messages.ts";
import type { Logger } from "../log.ts";
import { runAudit } from "../probes/exec.ts";
import { CheckRunner } from "../probes/runner.ts";
import type { ExternalRun as CheckRun } from "../config/check.ts";
import { OwnedDaemon, stopPid, watchPid, type Ended } from "../process/sidecar-daemon.ts";
import { readPidfile } from "../process/pidfile.ts";
import { findMarked, ownerMark, OWNER_VAR, planAdoption, sidecarFor } from "../process/adopt.ts";
import { resolve } from "node:path";
import { processStartTime } from "../sys/proc.ts";

/** Time given to the monitor connection to carry the final report before exit. */
const FINAL_REPORT_GRACE_MS = 100;

export interface SidecarOptions {
  name: string;
  kind: Kind;
  plane: Plane;
  socket: string;
  log: Logger;
  /** Own this daemon: spawn it. */
  argv?: string[];
  /** Or watch this pid. */
  pid?: number;
  /** Or watch the pid this file names. */
  pidfile?: string;
  /** Probe and exec checks, as a plain daemon's in the monitor's configuration. */
  checks?: CheckRun[];
  checkTimeoutMs?: number;
  /** Check period (and pidfile re-read period). */
  intervalMs?: number;
  auditArgv?: string[];
  auditTimeoutMs?: number;
  stopTimeoutMs?: number;
  exitWithDaemon?: boolean;
}

export function runSidecar(o: SidecarOptions): Promise<number> {
  return new Sidecar(o).run();
}

class Sidecar {
  private readonly owned: OwnedDaemon | null;
  /** Put on the owned daemon's environment, so a successor can find it (src/sidecar/orphan.ts). */
  private readonly mark: string;
  private pid = 0;
  private alive = false;
  private lastEnd = "";
  /** Bumped whenever the sidecar itself ends the followed process: a stale end is ignored. */
  private gen = 0;
  private unwatch = () => {};
  private watched: Promise<Ended> = Promise.resolve({ code: 0, why: "" });
  private comp: Component | null = null;
  private reported: { health: Health; reason: string } = { health: "ok", reason: "" };
  private readonly runner = new CheckRunner();
  private probing = false;
  private busy = false;
  private finishing = false;
  private exitWith: (code: number) => void = () => {};

  constructor(private readonly o: SidecarOptions) {
    this.mark = ownerMark(o.name, resolve(o.socket));
    this.owned = o.argv?.length ? new OwnedDaemon(o.argv, { [OWNER_VAR]: this.mark }) : null;
  }

  async run(): Promise<number> {
    const o = this.o;
    const exit = new Promise<number>((resolve) => (this.exitWith = resolve));
    if (this.owned) {
      const pid = await this.takeOver();
      if (pid === null) return 1;
      this.pid = pid;
    } else {
      const found = o.pidfile ? readPidfile(o.pidfile) : this.pidTarget(o.pid!);
      if ("why" in found) {
        o.log("error", "nothing to watch", { component: o.name, reason: found.why });
        return 1;
      }
      this.pid = found.pid;
      this.watch(found.startTime);
    }
    this.alive = true;
    this.follow();
    this.comp = new Component({
      name: o.name, kind: o.kind, plane: o.plane, pid: this.pid, socket: o.socket,
      onQuery: () => this.assess(),
      ...(o.auditArgv ? { audit: () => runAudit(o.auditArgv!, o.auditTimeoutMs ?? 10_000) } : {}),
      // A sidecar that exits with its daemon is supervised by someone else: it offers no restart.
      ...(this.owned && !o.exitWithDaemon ? { actions: { restart: () => this.restart(), stop: () => this.stopForMonitor() } } : {}),
      log: (line) => o.log("info", line, { component: o.name }),
    });
    const stop = untilSignal();
    void stop.signal.then((sig) => this.finish(sig));
    await this.ready();
    if (!this.finishing) this.comp.start().catch((e: Error) => o.log("error", "registration refused", { component: o.name, error: e.message }));
    const timer = o.checks?.length || o.pidfile ? setInterval(() => void this.tick(), o.intervalMs ?? 1_000) : null;
    const code = await exit;
    if (timer) clearInterval(timer);
    stop.cancel();
    return code;
  }

  /**
   * Adopts the daemon a SIGKILLed predecessor left running, or starts one
   * (src/sidecar/orphan.ts); null when it must not run (logged).
   */
  private async takeOver(): Promise<number | null> {
    const o = this.o;
    const plan = planAdoption(findMarked(this.mark), o.argv!, sidecarFor(o.name));
    if (plan.refuse) {
      o.log("error", "not starting a second owner", { component: o.name, reason: plan.refuse });
      return null;
    }
    for (const m of plan.stop) {
      o.log("warn", "stopping a daemon an earlier sidecar left running (another copy, or other arguments)", { component: o.name, pid: m.pid, argv: m.argv.join(" ") });
      await stopPid(m.pid, m.startTime, o.stopTimeoutMs ?? 5_000);
    }
    if (plan.adopt) {
      o.log("info", "adopted the daemon an earlier sidecar left running", { component: o.name, pid: plan.adopt.pid });
      return this.owned!.adopt(plan.adopt.pid, plan.adopt.startTime);
    }
    try {
      return this.owned!.start();
    } catch (e) {
      o.log("error", "cannot start the daemon", { component: o.name, argv0: o.argv![0] ?? "", error: (e as Error).message });
      return null;
    }
  }

  private runChecks(): Promise<{ health: Health; detail: string }> {
    return this.runner.all(this.o.checks ?? [], this.o.checkTimeoutMs ?? 1_000);
  }

  /** Registers only once no check fails: like a linked daemon, it is "up" when it serves. */
  private async ready(): Promise<void> {
    if (!this.o.checks?.length) return;
    for (let n = 0; this.alive && !this.finishing; n++) {
      const r = await this.runChecks();
      if (r.health !== "failed") return;
      if (n === 0) this.o.log("info", "waiting for the checks before registering", { component: this.o.name, reason: r.detail });
      await Bun.sleep(Math.min(this.o.intervalMs ?? 1_000, 200));
    }
  }

  private pidTarget(pid: number): { pid: number; startTime: number } | { why: string } {
    const startTime = processStartTime(pid);
    return startTime === null ? { why: `no such process ${pid}` } : { pid, startTime };
  }

  private watch(startTime: number): void {
    this.unwatch();
    const w = watchPid(this.pid, startTime);
    this.unwatch = w.cancel;
    this.watched = w.ended;
  }

  /** Waits for the current process to end; an end the sidecar caused itself (restart, stop) is ignored. */
  private follow(): void {
    const gen = ++this.gen;
    const ended = this.owned ? this.owned.ended : this.watched;
    void ended.then((r) => {
      if (gen === this.gen && !this.finishing) void this.died(r);
    });
  }

  private async died(r: Ended): Promise<void> {
    const o = this.o;
    this.alive = false;
    this.lastEnd = r.why;
    o.log("warn", "daemon died", { component: o.name, pid: this.pid, reason: r.why });
    this.report("failed", r.why);
    if (this.owned && !o.exitWithDaemon) {
      o.log("info", "waiting for the monitor's decision", { component: o.name });
      return;
    }
    if (o.pidfile) return; // tick() follows the pidfile to the next instance
    this.finishing = true;
    await Bun.sleep(FINAL_REPORT_GRACE_MS);
    this.exitWith(this.owned ? r.code : 1);
  }

  private report(health: Health, reason: string): void {
    if (this.reported.health === health && this.reported.reason === reason) return;
    this.reported = { health, reason };
    this.comp?.report(health, reason);
  }

  /** Periodic: probes while alive; after a watched daemon's death, looks for its successor in the pidfile. */
  private async tick(): Promise<void> {
    if (this.probing || this.busy || this.finishing) return;
    this.probing = true;
    try {
      if (!this.alive && this.o.pidfile) return await this.adoptFromPidfile();
      if (!this.alive || !this.o.checks?.length) return;
      const r = await this.runChecks();
      if (this.alive && !this.busy) this.report(r.health, r.health === "ok" ? `pid ${this.pid} running` : r.detail);
    } finally {
      this.probing = false;
    }
  }

  private async adoptFromPidfile(): Promise<void> {
    const found = readPidfile(this.o.pidfile!);
    if ("why" in found) return;
    this.pid = found.pid;
    this.watch(found.startTime);
    this.alive = true;
    this.follow();
    this.o.log("info", "following the daemon's new pid", { component: this.o.name, pid: found.pid });
    await this.comp?.setPid(found.pid);
    this.report("ok", `pid ${found.pid} (from ${this.o.pidfile})`);
  }

  /** Health query: alive, and the worst of its checks run now. */
  private async assess(): Promise<QueryAnswer> {
    if (!this.alive) return { health: "failed", detail: `pid ${this.pid}: ${this.lastEnd || "not running"}` };
    const r = await this.runChecks();
    if (r.health !== "ok") return r;
    const n = this.o.checks?.length ?? 0;
    return { health: "ok", detail: `pid ${this.pid} running${n ? `, ${n} check${n > 1 ? "s" : ""} passed` : ""}` };
  }

  /** The monitor decided restart-daemon: stop the daemon if running, start it again, register the new pid. */
  private async restart(): Promise<QueryAnswer> {
    const d = this.owned!;
    if (this.busy || this.finishing) return { health: "failed", detail: "a restart or stop is already in progress" };
    this.busy = true;
    try {
      this.gen++; // the end we cause is not a death to report
      const before = d.running ? `previous pid ${this.pid} ${(await d.stop(this.o.stopTimeoutMs ?? 5_000)).why}` : `previous pid ${this.pid} ${this.lastEnd}`;
      try {
        this.pid = d.start();
      } catch (e) {
        this.alive = false;
        this.lastEnd = `cannot start: ${(e as Error).message}`;
        this.report("failed", this.lastEnd);
        return { health: "failed", detail: this.lastEnd };
      }
      this.alive = true;
      this.follow();
      await this.comp?.setPid(this.pid);
      this.o.log("info", "daemon restarted", { component: this.o.name, pid: this.pid });
      this.reported = { health: "ok", reason: "" }; // a new registration starts from ok
      return { health: "ok", detail: `restarted: pid ${this.pid} (${before})` };
    } finally {
      this.busy = false;
    }
  }

  /** The monitor deactivated the component: stop the daemon, answer, then deregister and exit 0. */
  private async stopForMonitor(): Promise<QueryAnswer> {
    if (this.busy || this.finishing) return { health: "failed", detail: "a restart or stop is already in progress" };
    this.finishing = true;
    const r = await this.owned!.stop(this.o.stopTimeoutMs ?? 5_000);
    this.alive = false;
    setTimeout(() => void this.comp!.stop("stopped by the monitor").then(() => this.exitWith(0)), 0); // after the reply is sent
    return { health: "ok", detail: `stopped: pid ${this.pid} ${r.why}` };
  }

  private async finish(sig: NodeJS.Signals): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    this.unwatch();
    let code = 0;
    if (this.owned?.running) code = (await this.owned.stop(this.o.stopTimeoutMs ?? 5_000, sig)).code;
    await this.comp?.stop(`stopped by ${sig}`);
    this.exitWith(code);
  }
}
