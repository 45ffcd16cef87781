/**
 * OCF resource-agent exit codes (OCF 1.1) and the pure mapping from what the
 * agent observed to the monitor action's code. Levels (OCF_CHECK_LEVEL):
 *   0   is the monitor there: answers → 0; no monitor and no lock → 7 (stopped
 *       cleanly); the lock is held but nobody answers → 1 (hung)
 *   10  + the node verdict: green 0, yellow 190 (degraded: no recovery), red 1
 *   20  + every connected component's audit: failed → 1, degraded → 190
 */
import type { Health } from "../protocol/messages.ts";

export const OCF = {
  SUCCESS: 0, ERR_GENERIC: 1, ERR_ARGS: 2, ERR_UNIMPLEMENTED: 3, ERR_PERM: 4, ERR_INSTALLED: 5, ERR_CONFIGURED: 6, NOT_RUNNING: 7, DEGRADED: 190,
} as const;

export interface MonitorObservation {
  answers: boolean;
  /** Someone holds the monitor's lock (a live monitor that may be hung). */
  locked: boolean;
  /** Level ≥ 10: the node verdict, null if the monitor has not judged yet. */
  node?: "green" | "yellow" | "red" | null;
  /** Level 20: each audited component's answer (a missing answer is "failed"). */
  audits?: readonly { name: string; health: Health; detail: string }[];
}

export function monitorCode(o: MonitorObservation, level: number): { code: number; why: string } {
  if (!o.answers) return o.locked ? { code: OCF.ERR_GENERIC, why: "the monitor holds its lock but does not answer (hung)" } : { code: OCF.NOT_RUNNING, why: "no monitor running" };
  if (level < 10) return { code: OCF.SUCCESS, why: "the monitor answers" };
  let code: number = OCF.SUCCESS;
  let why = `node ${o.node ?? "not judged yet"}`;
  if (o.node === "red") code = OCF.ERR_GENERIC;
  else if (o.node === "yellow") code = OCF.DEGRADED;
  if (level >= 20 && code !== OCF.ERR_GENERIC) {
    const failed = o.audits?.filter((a) => a.health === "failed") ?? [];
    const degraded = o.audits?.filter((a) => a.health === "degraded") ?? [];
    if (failed.length) {
      code = OCF.ERR_GENERIC;
      why += `; audit failed: ${failed.map((a) => `${a.name} (${a.detail})`).join(", ")}`;
    } else if (degraded.length) {
      code = OCF.DEGRADED;
      why += `; audit degraded: ${degraded.map((a) => a.name).join(", ")}`;
    } else why += `; ${o.audits?.length ?? 0} audits ok`;
  }
  return { code, why };
}
