/**
 * The monitor's socket edge: listens, hands each peer to the Dispatcher,
 * fans events out to subscribers and the log. Returned as a handle so the
 * daemon (and tests) can stop it deterministically.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MonitorConfig } from "../config/config.ts";
import { listenUnix, type Listener } from "../transport/unix.ts";
import type { Logger } from "../log.ts";
import { MonitorCore } from "./core.ts";
import { COMPONENT_BURST, COMPONENT_RATE_PER_S, Dispatcher, type MonitorEvent } from "./dispatch.ts";
import { EventLog, lastLoggedSeq } from "../events/log.ts";
import { EventSeq } from "./event-seq.ts";
import { PersistenceHealth } from "./persistence.ts";
import { loadJournal, type Loaded } from "./journal.ts";
import { DEFAULT_SECURITY } from "../config/security.ts";
import { mayRegister, OPEN_POLICY, resolvePolicy, type Policy } from "../security/policy.ts";
import { ConnectionLimits } from "../security/limits.ts";
import { MAX_LINGERING, Refusals } from "../security/refusal.ts";
import { OutputBudget } from "../transport/budget.ts";
import type { Peer } from "../transport/peer.ts";
import { connectionBudget, openFds, raiseNofile } from "../sys/fdlimit.ts";
import { encode } from "../protocol/codec.ts";
import { encodeFrame } from "../protocol/framing.ts";
import { gidOf, uidOf } from "../sys/accounts.ts";
import { peerCred } from "../sys/peercred.ts";
import { beckonAll, prepareBeaconDir } from "../discovery/beacon.ts";
import { lockPathFor, tryLock, type MonitorLock } from "../discovery/lock.ts";
import { HamonError } from "../protocol/errors.ts";
import { notifierFromEnv } from "../sys/sd-notify.ts";
import { Adapters } from "../adapters/host.ts";
import { VERSION } from "../version.ts";

/** Another live monitor holds the lock for this socket. */
export class MonitorLocked extends HamonError {
  constructor(readonly lockPath: string, readonly holderPid: number | null) {
    super("E_NAME_TAKEN", `another monitor${holderPid ? ` (pid ${holderPid})` : ""} holds ${lockPath}`);
  }
}

export interface MonitorServer {
  readonly dispatcher: Dispatcher;
  readonly listener: Listener;
  readonly core: MonitorCore | null;
  stop(): Promise<void>;
}

export interface MonitorServerOptions {
  socketPath: string;
  log: Logger;
  now?: () => number;
  /** Also observe every event (adapters, tests). */
  onEvent?: (ev: MonitorEvent & { seq: number; time: number }) => void;
  /** Full monitor: components, checks, engine, journal and events.jsonl in `stateDir`. */
  config?: MonitorConfig;
  stateDir?: string;
  /** Override the component rate limit (tests that flood on purpose). */
  rate?: { burst: number; perSecond: number };
}

export async function startMonitorServer(o: MonitorServerOptions): Promise<MonitorServer> {
  // The lock first, the socket second: whoever holds the lock owns the socket
  // path, so a stale socket left by a dead monitor is safely replaced and two
  // monitors never act on the same components.
  const lockPath = lockPathFor(o.socketPath);
  const got = tryLock(lockPath);
  if (!got.ok) {
    if (got.held) throw new MonitorLocked(lockPath, got.holder?.pid ?? null);
    throw new HamonError("E_DENIED", got.why);
  }
  try {
    return await startLocked(o, got.lock);
  } catch (e) {
    got.lock.release();
    throw e;
  }
}

async function startLocked(o: MonitorServerOptions, lock: MonitorLock): Promise<MonitorServer> {
  const now = o.now ?? (() => performance.now());
  const sec = o.config?.security ?? DEFAULT_SECURITY;
  let policy: Policy = OPEN_POLICY;
  if (o.config) {
    const r = resolvePolicy(o.config, process.getuid?.() ?? 0, (n) => uidOf(n), (n) => gidOf(n));
    if (!r.ok) throw new HamonError("E_DENIED", `security policy: ${r.errors.join("; ")}`);
    policy = r.policy;
  }
  const socketGid = sec.socketGroup === null ? null : gidOf(sec.socketGroup);
  if (o.stateDir) {
    mkdirSync(o.stateDir, { recursive: true, mode: 0o750 });
    // The journal and events name every component and decision: never world-readable, even in a directory made by hand.
    const st = statSync(o.stateDir);
    if (st.uid === process.getuid?.() && (st.mode & 0o007) !== 0) chmodSync(o.stateDir, st.mode & 0o770);
  }
  // Created with the core (below); events before then have no adapter to reach.
  let adapters: Adapters | null = null;
  let core: MonitorCore | null = null;
  const eventLog = o.config && o.stateDir ? new EventLog(join(o.stateDir, "events.jsonl")) : null;
  // The journal first: its reserved event sequence numbers every event, the first included.
  const seq = new EventSeq();
  let journal: Loaded = { ok: "none" };
  if (o.config && o.stateDir) {
    const cfg = o.config;
    const graceOf = new Map([...cfg.components, ...cfg.fastpaths].map((c) => [c.name, c.policy.graceMs] as const));
    journal = loadJournal(join(o.stateDir, "journal.json"), (n) => graceOf.get(n) ?? cfg.defaults.graceMs);
    seq.resumeAbove(Math.max(journal.ok === true ? journal.data.seqCeiling : 0, eventLog ? lastLoggedSeq(eventLog.path) : 0));
  }
  const persistence = new PersistenceHealth(o.log, (ev) => dispatcher.emit(ev), now);
  const dispatcher: Dispatcher = new Dispatcher({
    now,
    startedAt: now(),
    rate: o.rate ?? (o.config ? { burst: 2 * sec.maxMessagesPerSecond, perSecond: sec.maxMessagesPerSecond } : { burst: COMPONENT_BURST, perSecond: COMPONENT_RATE_PER_S }),
    policy,
    persistence: () => ({ eventsLost: persistence.eventsLost, journalFailures: persistence.journalFailures, failing: persistence.failingTargets }),
    log: (level, line) => o.log(level, line),
    emit(ev) {
      const full = { ...ev, seq: seq.next(), time: Date.now() };
      dispatcher.recent.push(full);
      o.log(ev.event === "disconnected" ? "warn" : "info", `event ${ev.event}`, { component: ev.component, level: ev.level, reason: ev.reason });
      o.onEvent?.(full);
      if (eventLog) {
        try {
          eventLog.append(full);
          persistence.ok("events");
        } catch (err) {
          persistence.failed("events", eventLog.path, err); // said once per interval, counted, an event (deferred)
        }
      }
      if (dispatcher.subscribers.size) {
        const frame = encodeFrame(encode({ type: "event", ...full })); // once, not once per subscriber
        for (const sub of dispatcher.subscribers) {
          if (sub.sendFrame) sub.sendFrame(frame);
          else sub.send({ type: "event", ...full });
        }
      }
      adapters?.event(full);
      core?.node.observe(ev); // may emit a node-* event in turn (handled before this returns)
    },
  });
  // A peer sending garbage must not be able to flood the log: the first
  // refusal per connection is logged, the rest are counted and summarised
  // when the connection closes.
  const refusals = new WeakMap<object, number>();
  // Never run out of descriptors (a Bun listener at EMFILE spins): admit only what fits with a reserve.
  const softNofile = raiseNofile();
  const lingerMax = Math.min(MAX_LINGERING, Math.max(0, Math.floor((softNofile - openFds()) / 8)));
  const maxConnections = connectionBudget(sec.maxConnections, softNofile, openFds(), lingerMax);
  if (maxConnections < sec.maxConnections) {
    o.log("warn", "connection limit lowered to fit the descriptor limit", { max_connections: maxConnections, configured: sec.maxConnections, nofile: softNofile });
  }
  const limits = new ConnectionLimits(maxConnections, Math.min(sec.maxConnectionsPerUid, maxConnections), (uid) => uid === 0 || uid === policy.selfUid, (n, why) => {
    o.log("warn", "connections refused over the limit", { refused: n, last: why });
    dispatcher.emit({ component: "", event: "peer-limit", level: "", reason: `${n} connection(s) refused: ${why}` });
  });
  const turnedAway = new Refusals(undefined, lingerMax);
  const budget = new OutputBudget();
  const peers = new Set<Peer>();
  const listener = await listenUnix(o.socketPath, (peer) => {
    const cred = peerCred(peer.fd);
    const over = limits.admit(peer, cred?.uid ?? -1);
    if (over) return turnedAway.refuse(peer, "E_LIMIT", over);
    dispatcher.open(peer, cred);
    peers.add(peer);
    return {
      message: (p, m) => dispatcher.handle(p, m),
      refused: (p, code, message) => {
        const n = (refusals.get(p) ?? 0) + 1;
        refusals.set(p, n);
        if (n === 1) o.log("warn", "refused frame", { code, message });
      },
      close: (p, reason) => {
        peers.delete(p);
        limits.release(p);
        const n = refusals.get(p) ?? 0;
        if (n > 1) o.log("warn", "connection closed after refused frames", { refused: n, reason });
        dispatcher.closed(p, reason);
      },
    };
  }, { group: socketGid, budget, now });
  // Deadlines for peers that never say hello or trickle a frame (protocol.md §2).
  const sweeper = setInterval(() => {
    const t = now();
    for (const p of peers) dispatcher.sweep(p, p.openedAt, p.partialSince, t);
  }, 1_000);
  try {
    prepareBeaconDir(o.socketPath, socketGid ?? null);
  } catch (e) {
    // Without it, components reconnect on their backoff alone after a monitor restart (at most 2 s later).
    o.log("warn", "beacon directory not prepared", { error: (e as Error).message });
  }
  o.log("info", "monitor listening", { socket: o.socketPath, pid: process.pid, group: sec.socketGroup ?? "(own)" });
  const notifier = o.config && o.stateDir ? notifierFromEnv() : null;
  if (o.config && o.stateDir) {
    const cfg = o.config;
    const c = new MonitorCore(dispatcher, { config: cfg, socketPath: o.socketPath, stateDir: o.stateDir, log: o.log, now, notifier, onVerdict: (v) => adapters?.verdict(v), journal, seq, persistence });
    adapters = new Adapters(cfg.integrations, {
      components: () => [...dispatcher.registry.all()], // an entry has every field a metric reads
      fastpaths: () => c.fast.snapshot(),
      lateness: () => c.lateness,
      persistence: () => persistence,
    }, VERSION, { log: o.log, emit: (ev) => dispatcher.emit(ev) });
    core = c;
    c.start();
  }
  // Reach the components actively: each touched beacon makes its component
  // reconnect now rather than when its backoff expires.
  const beckoned = core
    ? beckonAll(o.socketPath, (name, uid, gid) => mayRegister(policy, { pid: 0, uid, gid, groups: [gid] }, name) === null).then((r) => core.beckoned(r.answered, r.removed), (err) => {
        o.log("warn", "beacons not reached", { error: (err as Error).message });
        core.beckoned([], []);
      })
    : Promise.resolve();
  return {
    dispatcher, listener, core,
    async stop() {
      await beckoned;
      const stopping = core?.stop(); // first: the connections the listener closes are not failures
      clearInterval(sweeper);
      listener.stop();
      limits.close();
      await stopping;
      await adapters?.stop();
      notifier?.close();
      lock.release();
    },
  };
}
