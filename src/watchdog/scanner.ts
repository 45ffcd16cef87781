/**
 * Who runs a region's hot scan: the caller's own loop (`LocalScanner`, an
 * Assessor scanned from HeartbeatWatch.poll), or the watchdog's thread
 * (`scan-thread.ts`), which scans on its own clock and reports verdict
 * changes. Either way the Assessor (assess.ts) is the one that decides, once:
 * the watch only says what it was told.
 */
import { Assessor } from "./assess.ts";

/** A verdict change: slot, verdict (VERDICT), why (set by setAll, else ""), and when it was decided (Unix ms, or 0: now). */
export type OnTransition = (slot: number, verdict: number, reason: string, atMs: number) => void;

export interface Scanner {
  /** Scanned by the watch's own poll (true), or on a thread of its own (false: `scan` does nothing). */
  readonly local: boolean;
  /** Per-slot verdicts, read-only here. */
  readonly verdict: Uint8Array;
  readonly lateScans: number;
  ageMs(i: number, now: number): number;
  scan(now: number): void;
  /** Every core gets `v` (writer gone, stopped clean, the region dropped), said with `reason`; `hold`: no scan after it (its writer is gone). */
  setAll(v: number, reason: string, hold?: boolean): void;
  close(): void;
}

export class LocalScanner implements Scanner {
  readonly local = true;
  constructor(private readonly a: Assessor, private readonly on: OnTransition) {}

  get verdict(): Uint8Array {
    return this.a.verdict;
  }
  get lateScans(): number {
    return this.a.lateScans;
  }
  ageMs(i: number, now: number): number {
    return this.a.ageMs(i, now);
  }
  scan(now: number): void {
    if (this.a.scan(now) > 0) this.said("");
  }
  setAll(v: number, reason: string): void {
    if (this.a.setAll(v) > 0) this.said(reason);
  }
  close(): void {}

  private said(reason: string): void {
    const a = this.a;
    for (let k = 0; k < a.transitionCount; k++) this.on(a.transitionSlot(k), a.transitionVerdict(k), reason, 0);
  }
}
