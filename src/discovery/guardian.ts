/**
 * `hamon discovery`, the guardian: keeps one monitor alive on this host.
 *
 * While a monitor answers, the guardian holds one client connection to it and
 * pings it every `pingMs`: the monitor's death closes that connection, so it
 * is noticed at once (no polling interval to wait out); a hang shows as pings
 * without answers. Then it follows plan(): start a new monitor (detached, in
 * its own session: it outlives the guardian) or, in standby mode, become the
 * monitor itself, which skips a process start; kill a holder of the lock that
 * has stopped answering for `hangMs`. A monitor that never comes up (bad
 * config, full disk) is not respawned in a tight loop: after a few failed
 * starts the guardian pauses, doubling the pause.
 */
import { EXIT } from "../protocol/exit.ts";
import { Session } from "../library/session.ts";
import type { Logger } from "../log.ts";
import { lockPathFor, tryLock } from "./lock.ts";
import { plan } from "./plan.ts";
import { answers, HUNG_TERM_MS, lockState, stopHolder } from "./ping.ts";
import { startAndWait } from "./once.ts";

export interface GuardOptions {
  socket: string;
  monitorArgv: readonly string[];
  log: Logger;
  pingMs: number;
  /** A ping (or a start) without an answer for this long while the lock is held: hung. */
  hangMs: number;
  /** Standby: take the lock and run this (the monitor, in-process) instead of starting a process. */
  becomeMonitor?: () => Promise<number>;
  /** Resolves to stop guarding (tests, SIGTERM). */
  stop: Promise<void>;
}

/** Consecutive starts without an answer before the guardian pauses (doubling up to MAX_PAUSE_MS). */
const FAILED_STARTS_BEFORE_PAUSE = 3;
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;
/** Between observations while the lock is held by a monitor that is not answering yet. */
const WAIT_POLL_MS = 5;

export async function guard(o: GuardOptions): Promise<number> {
  let stopped = false;
  void o.stop.then(() => (stopped = true));
  let silentSince = -1;
  let pause = FIRST_PAUSE_MS;
  let awaitingAnswer = false;
  let failedStarts = 0;
  while (!stopped) {
    const ok = await answers(o.socket, Math.min(o.hangMs, 2_000));
    if (ok) {
      silentSince = -1;
      awaitingAnswer = false;
      failedStarts = 0;
      pause = FIRST_PAUSE_MS;
      const why = await watch(o);
      if (stopped) break;
      o.log("warn", "monitor lost", { why });
      // Pings already went unanswered for hangMs: that silence counts.
      if (why.startsWith("no answer")) silentSince = performance.now() - o.hangMs;
      continue;
    }
    const lock = lockState(o.socket);
    const now = performance.now();
    if (lock.locked && silentSince < 0) silentSince = now;
    const step = plan({ answers: false, ...lock, silentMs: lock.locked ? now - silentSince : 0 }, o.hangMs);
    switch (step.do) {
      case "ok": break;
      case "wait":
        await Promise.race([Bun.sleep(WAIT_POLL_MS), o.stop]);
        break;
      case "kill":
        o.log("error", "killing a hung monitor", { pid: step.holder.pid, why: step.why });
        await stopHolder(o.socket, step.holder, HUNG_TERM_MS);
        silentSince = -1;
        break;
      case "start": {
        silentSince = -1;
        // A monitor that never answered before the next start has failed
        // to start (bad config, full disk): back off. One that ran and was
        // killed is restarted at once, however often.
        if (awaitingAnswer) failedStarts++;
        if (failedStarts >= FAILED_STARTS_BEFORE_PAUSE) {
          o.log("error", "the monitor does not come up; pausing before the next start", { failed_starts: failedStarts, pause_ms: pause });
          await Promise.race([Bun.sleep(pause), o.stop]);
          pause = Math.min(MAX_PAUSE_MS, pause * 2);
          if (stopped) break;
        }
        awaitingAnswer = true;
        if (o.becomeMonitor) {
          // Standby: win the lock here, then this process is the monitor.
          const probe = tryLock(lockPathFor(o.socket), false);
          if (!probe.ok) break; // someone else was faster
          probe.lock.release();
          o.log("warn", "standby taking over as the monitor");
          const code = await o.becomeMonitor();
          if (code !== EXIT.LOCKED) return code; // it ran and stopped: so do we
          break;
        }
        const r = await startAndWait(o.socket, o.monitorArgv);
        if (r.kind === "started") o.log("info", "started a monitor", { pid: r.pid, answering_after_ms: r.ms });
        else if (r.kind === "failed") o.log("error", "monitor start failed", { why: r.reason });
        break;
      }
    }
  }
  return EXIT.OK;
}

/** Holds a connection to the answering monitor until it dies or stops answering pings. */
async function watch(o: GuardOptions): Promise<string> {
  let s: Session;
  let lost!: (why: string) => void;
  const gone = new Promise<string>((resolve) => (lost = resolve));
  try {
    s = await Session.open(o.socket, { role: "client", timeoutMs: o.hangMs, agent: "hamon-discovery", onClose: (r) => lost(`connection closed: ${r}`) });
  } catch (e) {
    return `cannot connect: ${(e as Error).message}`;
  }
  const pinger = setInterval(() => {
    if (!s.isOpen) return;
    s.request({ type: "command", id: s.nextId(), verb: "ping", target: "", kind: "" }, o.hangMs).catch((e: Error) => lost(`no answer to a ping: ${e.message}`));
  }, o.pingMs);
  try {
    return await Promise.race([gone, o.stop.then(() => "guardian stopping")]);
  } finally {
    clearInterval(pinger);
    s.close("guardian done");
  }
}
