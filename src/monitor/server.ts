/**
 * The composition root: puts the monitor together, in order — the lock, the
 * state directory, the journal (its reserved event numbers come first), the
 * event fan-out, the dispatcher, the socket edge, the core, the HA-engine
 * adapters, the beacons — and registers each part's stop in a Group, which
 * tears them down in reverse order. Returned as a handle so the daemon (and
 * tests) stop it deterministically.
 */
import { Loop, REAL_TIMER } from "./loop.ts";
import { LatenessHistogram } from "../engine/lateness.ts";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MonitorConfig } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { Listener } from "../transport/unix.ts";
import { EventFanout } from "../events/fanout.ts";
import { Group } from "./group.ts";
import { openSocketEdge } from "./socket.ts";
import { MonitorCore } from "./core.ts";
import { COMPONENT_BURST, COMPONENT_RATE_PER_S, Dispatcher, type MonitorEvent } from "./dispatch.ts";
import { Registry } from "./registry.ts";
import { RecentEvents } from "./recent.ts";
import { BareHooks } from "./bare.ts";
import { readVerbs, routeVerbs } from "./verbs.ts";
import { monitorInfo } from "./show.ts";
import { EventLog, lastLoggedSeq } from "../events/log.ts";
import { EventSeq } from "./event-seq.ts";
import { PersistenceHealth } from "./persistence.ts";
import { loadJournal, type Loaded } from "./journal.ts";
import { DEFAULT_SECURITY } from "../config/security.ts";
import { mayRegister, OPEN_POLICY, resolvePolicy, type Policy } from "../security/policy.ts";
import { gidOf, uidOf } from "../sys/accounts.ts";
import { hardNofile } from "../sys/fdlimit.ts";
import { beckonAll, prepareBeaconDir } from "../discovery/beacon.ts";
import { lockPathFor, tryLock, type MonitorLock } from "../discovery/lock.ts";
import { becomeSubreaper } from "../sys/reaper.ts";
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
  /** Reads the configuration again (reload); absent: started without a file. */
  reread?: () => { ok: true; config: MonitorConfig } | { ok: false; errors: string[] };
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
  // Child subreaper: a forking daemon's process, orphaned by its launcher, becomes our child (not init's), so the pid its
  // pid file names can be proven to descend from what we started (process/pidfile.ts), and its death is seen at once.
  if (!becomeSubreaper()) o.log("warn", "cannot become child subreaper: forking daemons' pid files will be refused", {});
  const group = new Group(o.log);
  group.add("lock", () => lock.release());
  try {
    return await compose(o, group);
  } catch (e) {
    await group.stop();
    throw e;
  }
}

async function compose(o: MonitorServerOptions, group: Group): Promise<MonitorServer> {
  const now = o.now ?? (() => performance.now());
  const sec = o.config?.security ?? DEFAULT_SECURITY;
  let policy: Policy = OPEN_POLICY;
  if (o.config) {
    const r = resolvePolicy(o.config, process.getuid?.() ?? 0, (n) => uidOf(n), (n) => gidOf(n), hardNofile());
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
  // The one loop, started before anything that needs a timer (the dispatcher, the socket); the core becomes its client.
  const loop = Loop.idle(now, REAL_TIMER, new LatenessHistogram());
  loop.start(now());
  group.add("loop", () => loop.stop());
  // Every event of every room goes to the one fan-out (events/fanout.ts): numbered, logged, to events.jsonl, to subscribers.
  let fanout: EventFanout | null = null;
  const emit = (ev: MonitorEvent) => fanout!.emit(ev);
  const persistence = new PersistenceHealth(o.log, emit, now);
  const registry = new Registry();
  const recent = new RecentEvents();
  const notifier = o.config && o.stateDir ? notifierFromEnv() : null;
  if (notifier) group.add("sd_notify", () => notifier.close());
  let adapters: Adapters | null = null;
  const core = o.config && o.stateDir
    ? new MonitorCore({ config: o.config, socketPath: o.socketPath, stateDir: o.stateDir, log: o.log, registry, emit, recent, ...(o.now ? { now } : {}), loop, notifier, onVerdict: (v) => adapters?.verdict(v), beforeReboot: (n, r) => adapters?.beforeReboot(n, r) ?? Promise.resolve(), journal, seq, persistence, ...(o.reread ? { reread: o.reread } : {}) })
    : null;
  const startedAt = now();
  const dispatcher = new Dispatcher({
    registry, now, emit, after: loop.after,
    // Without a configuration, nothing to decide (bare.ts): the registry and the read-only verbs.
    hooks: core ? core.intake : new BareHooks({ registry, now, emit }),
    verbs: core ? core.verbs : routeVerbs(readVerbs({ registry, recent, coresOf: () => null, detailOf: () => null, monitorInfo: (t) => monitorInfo(t, startedAt, null, persistence) })),
    maxRecommend: core ? core.maxRecommend : () => "reboot-system",
    rate: o.rate ?? (o.config ? { burst: 2 * sec.maxMessagesPerSecond, perSecond: sec.maxMessagesPerSecond } : { burst: COMPONENT_BURST, perSecond: COMPONENT_RATE_PER_S }),
    policy,
    log: (level, line) => o.log(level, line),
    replay: (since, visit) => recent.after(since, (e) => visit({ type: "event", seq: e.seq, time: e.time, component: e.component, event: e.event, level: e.level, reason: e.reason })),
  });
  fanout = new EventFanout({ seq, log: o.log, file: eventLog, persisted: persistence, recent, subscribers: dispatcher.subscribers });
  if (o.onEvent) fanout.addSink(o.onEvent);
  if (core && o.config) {
    const c = core;
    const a = new Adapters(o.config.integrations, {
      components: () => [...registry.all()].map((e) => ({ ...e, quarantined: registry.quarantinedOf(e.name) })),
      fastpaths: () => c.fast.snapshot(),
      lateness: () => c.lateness,
      persistence: () => persistence,
      pressure: () => c.node.pressure,
    }, VERSION, { log: o.log, emit });
    group.add("adapters", () => a.stop());
    fanout.addSink((full) => a.event(full));
    fanout.addSink((_full, ev) => c.node.observe(ev)); // may emit a node-* event in turn (handled before emit returns)
    adapters = a;
  }
  // The core's stop begins before the socket closes (those closes are not failures) and is awaited after.
  let coreStopping: Promise<void> | undefined;
  group.add("core (settled)", () => coreStopping);
  const edge = await openSocketEdge(dispatcher, { socketPath: o.socketPath, gid: socketGid, maxConnections: sec.maxConnections, maxConnectionsPerUid: sec.maxConnectionsPerUid, policy, log: o.log, now, after: loop.after, emit });
  group.add("socket", () => edge.stop());
  try {
    prepareBeaconDir(o.socketPath, socketGid ?? null);
  } catch (e) {
    // Without it, components reconnect on their backoff alone after a monitor restart (at most 2 s later).
    o.log("warn", "beacon directory not prepared", { error: (e as Error).message });
  }
  o.log("info", "monitor listening", { socket: o.socketPath, pid: process.pid, group: sec.socketGroup ?? "(own)" });
  core?.start();
  // Reach the components actively: each touched beacon makes its component reconnect now rather than when its backoff expires.
  const c = core;
  const beckoned = c
    ? beckonAll(o.socketPath, (name, uid, gid) => mayRegister(policy, { pid: 0, uid, gid, groups: [gid] }, name) === null).then((r) => c.beckoned(r.answered, r.removed), (err) => {
        o.log("warn", "beacons not reached", { error: (err as Error).message });
        c.beckoned([], []);
      })
    : Promise.resolve();
  group.add("core", async () => {
    await beckoned;
    coreStopping = c?.stop();
  });
  return { dispatcher, listener: edge.listener, core, stop: () => group.stop() };
}
