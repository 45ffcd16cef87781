/**
 * What the monitor writes to its state directory, besides the journal and
 * events.jsonl (src/events/log.ts):
 * - flight/<time>-<component>.json: the recent samples of every check, dumped
 *   before any recovery above restart-daemon, so the evidence survives the
 *   restart it triggers.
 * And the level hooks: argv commands run with HAMON_COMPONENT, HAMON_LEVEL
 * and HAMON_REASON in their environment.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeAtomic } from "../sys/atomic.ts";
import { childEnv } from "../security/env.ts";

/** Writes a flight record; returns its path. */
export function writeFlightRecord(stateDir: string, component: string, record: object, wallMs = Date.now()): string {
  const dir = join(stateDir, "flight");
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const stamp = new Date(wallMs).toISOString().replace(/[:.]/g, "-");
  const path = join(dir, `${stamp}-${component}.json`);
  writeAtomic(path, `${JSON.stringify(record, null, 1)}\n`);
  return path;
}

export interface HookResult {
  code: number | null;
  how: string;
}

/** Runs a level hook; resolves with how it ended. Never throws (a missing binary is a result). */
export async function runHook(argv: string[], env: { component: string; level: string; reason: string }, timeoutMs: number): Promise<HookResult> {
  let proc: Bun.Subprocess;
  try {
    proc = Bun.spawn(argv, {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: childEnv({ HAMON_COMPONENT: env.component, HAMON_LEVEL: env.level, HAMON_REASON: env.reason }),
    });
  } catch (e) {
    return { code: null, how: `could not start ${argv[0]}: ${(e as Error).message}` };
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }, timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, how: proc.signalCode ? `killed by ${proc.signalCode}` : `exited with status ${code}` };
}
