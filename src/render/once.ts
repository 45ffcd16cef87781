/**
 * `hamon discovery --once`, rendered: its outcome as the exit status and the
 * line a cron job mails (pure). Exit statuses are README §Exit codes.
 *
 * @example renderOnce({ kind: "started", pid: 42, ms: 180 }) // { code: 3, out: "started monitor pid 42, answering after 180 ms\n", err: "" }
 */

/** What `discovery --once` found or did (discovery/once.ts decides it; this file says it). */
export type OnceOutcome =
  | { kind: "running" }
  | { kind: "started"; pid: number; ms: number }
  | { kind: "replaced"; killed: number; pid: number; ms: number }
  | { kind: "hung"; pid: number | null; why: string }
  | { kind: "failed"; reason: string };

export const DISCOVERY_EXIT = { RUNNING: 0, FAILED: 1, STARTED: 3, HUNG: 4, REPLACED: 5 } as const;

export function renderOnce(r: OnceOutcome): { code: number; out: string; err: string } {
  switch (r.kind) {
    case "running": return { code: DISCOVERY_EXIT.RUNNING, out: "", err: "" };
    case "started": return { code: DISCOVERY_EXIT.STARTED, out: `started monitor pid ${r.pid}, answering after ${r.ms} ms\n`, err: "" };
    case "replaced": return { code: DISCOVERY_EXIT.REPLACED, out: `killed hung monitor pid ${r.killed}; started monitor pid ${r.pid}, answering after ${r.ms} ms\n`, err: "" };
    case "hung": return { code: DISCOVERY_EXIT.HUNG, out: "", err: `hamon discovery: ${r.why}${r.pid ? " (--kill-hung replaces it)" : ""}\n` };
    case "failed": return { code: DISCOVERY_EXIT.FAILED, out: "", err: `hamon discovery: ${r.reason}\n` };
  }
}
