/**
 * `hamon top`'s live loop: driven by the event subscription, not by polling.
 * An event marks the model stale; one `status` read (and one per fast path,
 * for its cores) refreshes it, at most every REFRESH_MS however many events
 * arrive; a burst of 1,000 events is a handful of reads. The screen is
 * redrawn at most every DRAW_MS, and only when the frame differs from the
 * last one (a clock tick that changes no age on screen writes nothing); each
 * redraw is one write. It follows the monitor through a restart
 * (src/library/follow.ts) and says so on screen meanwhile.
 *
 * The terminal is the caller's (src/cli/terminal.ts): this module sees it
 * through TopTerminal, so a test or a benchmark can drive it too.
 */
import { followEvents } from "../library/follow.ts";
import { Session } from "../library/session.ts";
import type { CoreStatus } from "../protocol/messages.ts";
import { renderTop, type TopEvent, type TopModel, type TopSize } from "../render/top.ts";
import { Throttle } from "./throttle.ts";
import { readEventLog } from "../events/log.ts";

/**
 * LAST EVENTS at open: the monitor's own events.jsonl (its state dir, as
 * its results say), before the live ones already received. Nothing when the
 * file cannot be read (the state dir is not world-readable: a non-root
 * operator sees the live events only).
 */
function seedEvents(events: TopEvent[], stateDir: string): void {
  let past: ReturnType<typeof readEventLog> = null;
  try {
    past = readEventLog(stateDir, EVENTS_KEPT);
  } catch {
    return;
  }
  const first = events[0]?.time ?? Infinity;
  const older = (past?.events ?? []).filter((e) => e.time < first).map((e) => ({ time: e.time, component: e.component, event: e.event, level: e.level, reason: e.reason }));
  events.unshift(...older.slice(-Math.max(0, EVENTS_KEPT - events.length)));
}

/** Reads after an event: at most this often (the burst is coalesced). */
export const REFRESH_MS = 250;
/** Redraws: at most this often. */
export const DRAW_MS = 250;
/** Ages on screen move by whole seconds: looked at once a second. */
const TICK_MS = 1_000;
/** Events kept for the bottom of the screen. */
const EVENTS_KEPT = 200;

export interface TopTerminal {
  size(): TopSize;
  /** One frame, written at once. */
  write(frame: string): void;
  /** Calls `cb` whenever the terminal is resized. */
  onResize(cb: () => void): void;
}

/** Runs until `stopped` resolves; the error when the monitor could not be reached at all (the first connection), else null. */
export async function runTop(socket: string, term: TopTerminal, stopped: Promise<unknown>, o: { colour: boolean } = { colour: false }): Promise<string | null> {
  const events: TopEvent[] = [];
  let seeded = false;
  const model: TopModel = { monitor: null, components: [], cores: new Map(), events, readAtMs: performance.now(), connection: "connecting…" };
  let last = "";
  // What the header says about the connection: the event stream's loss first, else a failed read.
  let lost = false;
  let readError = "";
  const connection = (): void => {
    model.connection = lost ? "monitor connection lost; reconnecting…" : readError ? `monitor unreachable (${readError}); retrying` : "";
  };

  const draw = new Throttle(() => {
    const lines = renderTop(model, term.size(), performance.now(), o.colour);
    // Home, each line then erase-to-end-of-line, then erase below: no clear screen, so no flicker.
    const frame = `\u001b[H${lines.join("\u001b[K\r\n")}\u001b[K\u001b[J`;
    if (frame === last) return;
    last = frame;
    term.write(frame);
  }, DRAW_MS);
  /** A resize must not wait for a change: the last frame no longer fits. */
  const redrawNow = (): void => {
    last = "";
    draw.request();
  };

  // One read at a time, at most every REFRESH_MS; events during a read give one more read after it.
  const refresh = new Throttle(async () => {
    try {
      const s = await Session.open(socket, { role: "client", timeoutMs: 2_000 });
      try {
        const r = await s.request({ type: "command", id: s.nextId(), verb: "status", target: "", kind: "" }, 5_000);
        if (r.type === "result") {
          const cores = new Map<string, readonly CoreStatus[]>();
          for (const c of r.components.filter((x) => x.plane === "fast")) {
            const f = await s.request({ type: "command", id: s.nextId(), verb: "status", target: c.name, kind: "" }, 5_000);
            if (f.type === "result" && f.components[0]?.cores?.length) cores.set(c.name, f.components[0].cores);
          }
          if (!seeded && r.monitor?.stateDir) {
            seeded = true;
            seedEvents(events, r.monitor.stateDir);
          }
          model.monitor = r.monitor;
          model.components = r.components;
          model.cores = cores;
          model.readAtMs = performance.now();
          readError = "";
        }
      } finally {
        s.close();
      }
    } catch (e) {
      readError = (e as Error).message;
    }
    connection();
    draw.request();
  }, REFRESH_MS);

  const tick = setInterval(() => draw.request(), TICK_MS);
  term.onResize(redrawNow);
  refresh.request();
  const r = await followEvents(socket, (e) => {
    events.push({ time: e.time, component: e.component, event: e.event, level: e.level, reason: e.reason });
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
    refresh.request();
  }, (note) => {
    lost = note !== "reconnected";
    connection();
    if (!lost) refresh.request();
    draw.request();
  }, stopped);
  clearInterval(tick);
  draw.stop();
  refresh.stop();
  return r.ok ? null : r.error;
}
