/**
 * HeartbeatWatch: one fast path's heartbeat region, watched. `poll(now)` is
 * the hot path (one pread when the region is not a sealed memfd, then one Assessor scan; no
 * allocation unless a verdict changes). Every `slowEvery` polls it also runs
 * the slow path: did the path get a new inode (writer restarted)? Is the
 * writer process still the one that published (pid + start time)? Did it
 * leave a clean-stop tombstone?
 *
 * Nothing here can throw on bad file contents: a file that fails validation
 * is reported once with its reason and retried on the slow path.
 */
import { Assessor, VERDICT, VERDICT_NAMES, type AssessPolicy, type VerdictName } from "./assess.ts";
import { LocalScanner, type Scanner } from "./scanner.ts";
import type { ScanThread } from "./scan-thread.ts";
import { FLAG_USAGE, FLAG_WORK, HEADER_BYTES, SLOT_BYTES, SLOT_STATE_NAMES, SW, W, WRITER_STATE, slotLcore, slotMetaOk, slotName, validateHeader, type HeaderInfo } from "./layout.ts";
import { OVERLOAD_MS, Pace, PACE, PACE_NAMES, WINDOW_MS } from "./pace.ts";
import { identify, openRegion, type Region } from "./region.ts";
import { sameProcessAlive } from "../sys/proc.ts";

export interface WatchEvent {
  /** Slot index, or -1 for the region as a whole. */
  slot: number;
  /** A liveness verdict; or its pace (pace.ts): slow, overloaded, steady again. */
  verdict: VerdictName | (typeof PACE_NAMES)[number] | "attached" | "invalid";
  reason: string;
  /** When the watchdog's thread decided it (Unix ms); absent: now. */
  at?: number;
}

export interface CoreView {
  slot: number;
  lcore: number;
  name: string;
  state: string;
  /** Its liveness verdict, or, for a core that beats, slow or overloaded (pace.ts). */
  verdict: VerdictName | "slow" | "overloaded";
  ageMs: number;
}

export interface WatchOptions extends AssessPolicy {
  /** Run the slow path every this many polls (default: about once per 200 ms). */
  slowEvery?: number;
  /**
   * Who may have published the region: called once per attach with its
   * header and the file's owner; a reason refuses it (reported once, tried
   * again on the slow path). Absent: any valid region.
   */
  accept?: (h: HeaderInfo, ownerUid: number) => string | null;
  /**
   * The watchdog's thread: the hot scan runs there, and `poll` here is the
   * slow path only (call it about every 200 ms). Absent: `poll` scans.
   */
  thread?: ScanThread | null;
}

export class HeartbeatWatch {
  private region: Region | null = null;
  private header: HeaderInfo | null = null;
  /** Who scans the region: this poll (LocalScanner) or the watchdog's thread. */
  private scanner: Scanner | null = null;
  /** The pace of beating cores, when the writer keeps work or usage counters (layout minor 1). */
  private pace: Pace | null = null;
  private paceAt = -1;
  private polls = 0;
  private readonly slowEvery: number;
  private writerGone = false;
  private lastInvalid = "";
  private lastNow = 0;
  /** Bytes a scan reads: header and slots (an unsealed region is copied, this much per poll). */
  private scanBytes = 0;

  constructor(
    readonly path: string,
    private readonly policy: WatchOptions,
    private readonly onEvent: (e: WatchEvent) => void,
  ) {
    this.slowEvery = policy.thread ? 1 : policy.slowEvery ?? Math.max(1, Math.round(200 / policy.pollMs));
  }

  get attached(): HeaderInfo | null {
    return this.header;
  }
  /** Polls that came too late to judge (the monitor itself was starved). */
  get lateScans(): number {
    return this.scanner?.lateScans ?? 0;
  }
  get sealed(): boolean {
    return this.region?.sealed ?? false;
  }

  /** The hot path, called every pollMs (with a thread: the slow path, about every 200 ms). */
  poll(now: number): void {
    this.lastNow = now;
    if (this.polls++ % this.slowEvery === 0) this.slow(now);
    const r = this.region;
    const s = this.scanner;
    if (!r || !s || this.writerGone || !s.local) return;
    if (!r.refresh(this.scanBytes)) return this.truncated();
    s.scan(now);
  }

  /** Per-core view for `hamon status` (allocates; not for the poll loop). */
  cores(): CoreView[] {
    const r = this.region;
    const a = this.scanner;
    if (!r || !a) return [];
    const out: CoreView[] = [];
    // Scanned on the thread, the evidence is fresher than this side's last poll (a thread runs on the real clock only).
    const now = a.local ? this.lastNow : performance.now();
    for (let i = 0; i < this.header!.slotCount; i++) {
      const live = VERDICT_NAMES[a.verdict[i]!] ?? "ok";
      const pace = this.pace?.pace[i] ?? PACE.NORMAL;
      out.push({
        slot: i, lcore: slotLcore(r.u8, i), name: slotName(r.u8, i), state: this.stateOf(i),
        verdict: live === "ok" && pace !== PACE.NORMAL ? PACE_NAMES[pace] as "slow" | "overloaded" : live, ageMs: Math.max(0, Math.round(a.ageMs(i, now))),
      });
    }
    return out;
  }

  close(): void {
    this.scanner?.close();
    this.region?.close();
    this.region = null;
    this.scanner = null;
    this.pace = null;
  }

  private slow(now: number): void {
    const id = identify(this.path);
    const r = this.region;
    if (r && id && (id.ino !== r.ino || id.dev !== r.dev)) {
      this.close(); // a new instance was published: drop the old mapping, attach the new one below
      this.writerGone = false;
    } else if (r && this.writerGone && r.refresh(HEADER_BYTES)) {
      // Its writer is gone: a new instance may publish in place (the same file, a new writer in the header).
      const v = validateHeader(r.u8, r.size);
      if (v.ok && (v.header.writerPid !== this.header!.writerPid || v.header.instanceId !== this.header!.instanceId)) {
        this.close();
        this.writerGone = false;
      }
    }
    if (!this.region) {
      if (id) this.attach(now);
      return;
    }
    const h = this.header!;
    const s = this.scanner!;
    // Scanned on the thread: this copy of an unsealed region is read here, for the writer's state, views and pace.
    if (!s.local && !this.writerGone && !this.region.refresh(this.scanBytes)) return this.truncated();
    const ws = this.region.u32[W.writerState]!;
    if (ws === WRITER_STATE.STOPPED_CLEAN) {
      s.setAll(VERDICT.UNMONITORED, "");
      return;
    }
    if (!this.writerGone && h.writerPid > 0 && !sameProcessAlive(h.writerPid, h.startTicks)) {
      this.writerGone = true;
      s.setAll(VERDICT.WRITER_GONE, `writer pid ${h.writerPid} is gone`, true);
    }
    if (this.pace && !this.writerGone && now - this.paceAt >= WINDOW_MS) {
      this.paceAt = now;
      if (this.pace.sample(now, s.verdict) > 0) this.emitPace(this.pace, s.verdict);
    }
  }

  private stateOf(i: number): string {
    const st = this.region?.u32[W.slotBase + i * W.slotWords + SW.state] ?? 0;
    return SLOT_STATE_NAMES[st] ?? `invalid(${st})`;
  }

  /** Pace transitions, with the figures that made them (rare: allocating the words is fine). */
  private emitPace(p: Pace, live: Uint8Array): void {
    const n = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
    for (let k = 0; k < p.transitionCount; k++) {
      const i = p.transitionSlot(k);
      const v = p.transitionPace(k);
      const reason = v === PACE.SLOW
        ? `loop rate ${n(p.beatRate[i]!)}/s, ${Math.round((p.beatRate[i]! / Math.max(1, p.baselineOf(i))) * 100)} % of its usual ${n(p.baselineOf(i))}/s, with no more work (${n(p.workRate[i]!)} items/s)`
        : v === PACE.OVERLOADED ? `busy ${Math.round(p.busyPct[i]!)} % of its cycles for ${OVERLOAD_MS / 1000} s or more`
        // Back to steady because its pace is no longer judged (not ok, idle, parked, relaunched) is not "back to its usual pace".
        : live[i] !== VERDICT.OK ? `its pace no longer judged (${VERDICT_NAMES[live[i]!] ?? "not ok"})`
        : this.stateOf(i) !== "running" ? `its pace no longer judged (${this.stateOf(i)})` : "back to its usual pace";
      this.onEvent({ slot: i, verdict: PACE_NAMES[v]!, reason });
    }
  }

  private attach(now: number): void {
    const o = openRegion(this.path);
    if (!o.ok) return this.invalid(o.reason);
    const v = validateHeader(o.region.u8, o.region.size);
    if (!v.ok) {
      o.region.close();
      return this.invalid(v.reason);
    }
    const refused = this.policy.accept?.(v.header, o.region.uid) ?? null;
    if (refused) {
      o.region.close();
      return this.invalid(refused);
    }
    const metaOk = new Uint8Array(v.header.slotCount);
    for (let i = 0; i < metaOk.length; i++) metaOk[i] = slotMetaOk(o.region.u8, i) ? 1 : 0;
    this.region = o.region;
    this.header = v.header;
    this.scanBytes = HEADER_BYTES + v.header.slotCount * SLOT_BYTES;
    this.writerGone = false;
    this.lastInvalid = "";
    const on = this.onTransition;
    const n = v.header.slotCount;
    const p = this.policy;
    this.scanner = (p.thread && p.thread.attach(o.region, this.path, metaOk, n, this.scanBytes, p, on, (why, died) => this.lost(why, died))) || new LocalScanner(new Assessor(o.region.u32, metaOk, n, p), on);
    const f = v.header.flags;
    this.pace = f & (FLAG_WORK | FLAG_USAGE) ? new Pace(o.region.u32, v.header.slotCount, (f & FLAG_WORK) !== 0, (f & FLAG_USAGE) !== 0) : null;
    this.paceAt = -1;
    this.onEvent({ slot: -1, verdict: "attached", reason: `${v.header.slotCount} cores, writer pid ${v.header.writerPid}, instance ${v.header.instanceId}, ${o.region.sealed ? "sealed memfd" : "unsealed file"}${this.scanner.local ? "" : ", scanned on the watchdog's thread"}` });
    this.scanner.scan(now);
  }

  private readonly onTransition = (slot: number, v: number, reason: string, at: number): void => {
    this.onEvent(at ? { slot, verdict: VERDICT_NAMES[v]!, reason, at } : { slot, verdict: VERDICT_NAMES[v]!, reason });
  };

  private truncated(): void {
    this.detach("the heartbeat file shrank (truncated): stopped reading it until a new one is published", VERDICT.CORRUPT);
  }

  /** The thread lost the region: as truncated (corrupt), or the thread died (attached again at the next slow path). */
  private lost(why: string, died: boolean): void {
    if (died) this.close();
    else this.detach(why, VERDICT.CORRUPT);
  }

  private detach(reason: string, verdict: number): void {
    this.scanner?.setAll(verdict, reason, true);
    this.close();
    this.header = null;
  }

  private invalid(reason: string): void {
    if (reason === this.lastInvalid) return; // report each distinct problem once
    this.lastInvalid = reason;
    this.onEvent({ slot: -1, verdict: "invalid", reason });
  }

}
