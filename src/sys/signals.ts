/**
 * The one way a hamon process waits for a stop signal. Signals only resolve
 * a promise (they never run shutdown logic in the handler). By default a
 * second signal during the shutdown is ignored (a daemon finishes writing its
 * journal); with `keep = false` the handlers go once it fires, and a second
 * signal takes the default action (a client's ^C ^C). `cancel()` removes them.
 *
 * @example
 *   const stop = untilSignal();
 *   const sig = await stop.signal;      // "SIGTERM"
 */
export interface SignalWait {
  /** The first of the signals received. */
  readonly signal: Promise<NodeJS.Signals>;
  /** Stops listening (the promise then never resolves). */
  cancel(): void;
}

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

export function untilSignal(signals: readonly NodeJS.Signals[] = STOP_SIGNALS, keep = true): SignalWait {
  let done!: (s: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((resolve) => (done = resolve));
  const on = (s: NodeJS.Signals) => {
    if (!keep) cancel();
    done(s);
  };
  const cancel = () => {
    for (const s of signals) process.off(s, on);
  };
  for (const s of signals) process.on(s, on);
  return { signal, cancel };
}
