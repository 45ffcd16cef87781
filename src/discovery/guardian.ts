/**
 * `hamon discovery`, the guardian: keeps one monitor alive on this host.
 *
 * While a monitor answers, the guardian holds one client connection to it and
 * pings it every `pingMs`: the monitor's death closes that connection, so it
 * is noticed at once (no polling interval to wait out); a hang shows as pings
 * without answers. Then it follows plan(): start a new monitor (detached, in
 * its own session: it outlives the guardian) or, in standby mode, become the
 * monitor itself, which skips a process start; kill a holder of the lock that
 * has stopped answering for `hangMs`. Starts are rate-limited so a monitor
 * that cannot start (bad config, full disk) is not respawned in a tight loop.
 */
import { EXIT } from "../cli/exit.ts";
import { Session } from "../library/session.ts";
import type { Logger } from "../log.ts";
import { sameProcessAlive } from "../sys/proc.ts";
import { lockPathFor, tryLock } from "./lock.ts";
import { plan } from "./plan.ts";
import { answers, lockState, startDetached } from "./probe.ts";
import { waitUnlocked } from "./once.ts";

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

/** Starts within this window beyond which the guardian slows down. */
const START_BURST = 5;
const START_WINDOW_MS = 60_000;
const MAX_PAUSE_MS = 30_000;
/** Between observations while the lock is held by a monitor that is not answering yet. */
const WAIT_POLL_MS = 5;

export async function guard(o: GuardOptions): Promise<number> {
  let stopped = false;
  void o.stop.then(() => (stopped = true));
  const starts: number[] = [];
  let silentSince = -1;
  let pause = 1_000;
  while (!stopped) {
    const ok = await answers(o.socket, Math.min(o.hangMs, 2_000));
    if (ok) {
      silentSince = -1;
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
        if (sameProcessAlive(step.holder.pid, step.holder.startTime)) process.kill(step.holder.pid, "SIGKILL");
        await waitUnlocked(o.socket, 2_000);
        silentSince = -1;
        break;
      case "start": {
        silentSince = -1;
        const t = performance.now();
        while (starts.length && t - starts[0]! > START_WINDOW_MS) starts.shift();
        if (starts.length >= START_BURST) {
          o.log("error", "monitor keeps dying; pausing before the next start", { starts: starts.length, within_ms: START_WINDOW_MS, pause_ms: pause });
          await Promise.race([Bun.sleep(pause), o.stop]);
          pause = Math.min(MAX_PAUSE_MS, pause * 2);
          starts.length = 0;
          break;
        }
        starts.push(t);
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
        const child = startDetached(o.socket, o.monitorArgv);
        o.log("info", "started a monitor", { pid: child.pid });
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
