/**
 * One-shot inspection of a heartbeat region: attach, watch for `windowMs`,
 * return what was seen. Used by `hamon heartbeat` (a writer's self-check and
 * an operator's look at a fast path without a monitor).
 */
import { existsSync, readlinkSync } from "node:fs";
import { HeartbeatWatch, type CoreView, type WatchEvent } from "./watch.ts";
import type { HeaderInfo } from "./layout.ts";
import type { AssessPolicy } from "./assess.ts";

export interface Inspection {
  header: HeaderInfo | null;
  sealed: boolean;
  cores: CoreView[];
  /** Why the region could not be used, when it could not. */
  invalid: string | null;
  /** The writer's pid when the path is a memfd link whose writer is gone (the memfd went with it). */
  writerGone: number | null;
}

/** A memfd goes with its writer: a link to /proc/PID/fd/N whose PID is gone is a dead writer, not a bad region. */
function deadMemfdWriter(path: string): number | null {
  try {
    const m = /^\/proc\/([1-9][0-9]*)\/fd\/[0-9]+$/.exec(readlinkSync(path));
    return m && !existsSync(`/proc/${m[1]}`) ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export async function inspectRegion(path: string, policy: AssessPolicy, windowMs: number): Promise<Inspection> {
  let invalid: string | null = null;
  // The slow path (new inode, writer pid alive?) every few polls: a killed writer is writer-gone, not dead.
  const w = new HeartbeatWatch(path, { ...policy, slowEvery: 5 }, (e: WatchEvent) => {
    if (e.verdict === "invalid") invalid = e.reason;
  });
  try {
    const end = performance.now() + windowMs;
    w.poll(performance.now());
    while (performance.now() < end && w.attached) {
      await Bun.sleep(policy.pollMs);
      w.poll(performance.now());
    }
    const bad = w.attached ? null : (invalid ?? "not attached");
    return { header: w.attached, sealed: w.sealed, cores: w.cores(), invalid: bad, writerGone: bad === null ? null : deadMemfdWriter(path) };
  } finally {
    w.close();
  }
}
