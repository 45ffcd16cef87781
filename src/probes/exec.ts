/**
 * Exec checks: a command run with a deadline whose exit status is a health
 * (the sidecar's audit command today: what the monitor's `audit` queries run
 * for a daemon that cannot answer them itself). An argv array, never a shell: the
 * flag's value is split on whitespace (no quoting; wrap anything fancier in a
 * script). Its exit status is a health as the shell sees it by default (0
 * ok, anything else failed: what `grep -q`, `curl -f` and `chronyc` mean), or
 * as a monitoring plugin's (`codes = "nagios"`: 0 ok, 1 degraded, 2 and 3
 * failed). A signal, a timeout or a missing binary is failed either way.
 * The first non-empty line of stdout (else stderr), cut to 512 characters,
 * is the detail.
 */
import type { Health } from "../protocol/messages.ts";
import type { ExitCodes } from "../config/check.ts";
import { CAPTURE_MAX_BYTES, runWithDeadline } from "../process/run.ts";
import { cleanEnv } from "../security/env.ts";

export const AUDIT_DETAIL_MAX = 512;

export function splitCommand(cmd: string): string[] {
  return cmd.trim().split(/\s+/).filter((w) => w !== "");
}

/** Who an exec check runs as: the component's user (its uid, primary group and home), never root for a daemon that is not. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
  readonly home: string;
}


export async function runAudit(argv: readonly string[], timeoutMs: number, what = "audit command", as: RunAs | null = null, codes: ExitCodes = "nagios"): Promise<{ health: Health; detail: string }> {
  const r = await runWithDeadline(argv, {
    timeoutMs, capture: true,
    ...(as ? { uid: as.uid, gid: as.gid, cleanEnv: true, env: cleanEnv(as, {}) } : {}),
  });
  if (!r.exit) return { health: "failed", detail: `${what} ${argv[0]} could not start: ${r.startError}` };
  const line = firstLine(r.stdout) || firstLine(r.stderr);
  if (r.overflowed) return { health: "failed", detail: `${what} printed more than ${CAPTURE_MAX_BYTES} bytes: killed${line ? `: ${line}` : ""}` };
  if (r.timedOut) return { health: "failed", detail: `${what} timed out after ${Math.round(timeoutMs)} ms${line ? `: ${line}` : ""}` };
  const code = r.exit.code;
  const health: Health = code === 0 ? "ok" : code === 1 && codes === "nagios" ? "degraded" : "failed";
  const how = r.exit.signal ? `killed by ${r.exit.signal}` : `exit ${code}`;
  return { health, detail: line ? (code === 0 ? line : `${line} (${how})`) : how };
}

function firstLine(s: string): string {
  const l = s.split("\n").find((x) => x.trim() !== "")?.trim() ?? "";
  return l.length > AUDIT_DETAIL_MAX ? `${l.slice(0, AUDIT_DETAIL_MAX)}…` : l;
}
