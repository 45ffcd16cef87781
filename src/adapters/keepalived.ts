/**
 * keepalived: two track files in `[keepalived] dir`, read by keepalived
 * through inotify (no polling on either side):
 *
 *   node_ok   "1" while the node may be master; "0" = FAULT (node verdict red)
 *   penalty   the node verdict's penalty, 0..253 (lower the priority by it)
 *
 * Meant for `track_file { file ".../node_ok"  weight 0 reverse }` (0, empty,
 * unparsable or deleted → FAULT: fail-safe) and `weight -1` on penalty
 * (docs/integrations.md). keepalived parses with strtol(base 0): we write
 * plain decimal without leading zeros, and replace each file by rename so it
 * never reads a half-written value (IN_MOVED_TO). A file is rewritten when
 * its value changes, and when someone else changed it: every second the
 * files are read back (a keepalived `init_file ... overwrite` at its restart,
 * a cleaned /run, a hand edit) and put right, said once in the log.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KeepalivedConfig } from "../config/integrations.ts";
import type { NodeVerdict } from "../engine/node.ts";
import { writeAtomic } from "../sys/atomic.ts";
import { TroubleOnce, type Adapter, type AdapterDeps } from "./adapter.ts";

export const NODE_OK_FILE = "node_ok";
export const PENALTY_FILE = "penalty";
/** How often the files are read back. */
export const VERIFY_EVERY_MS = 1_000;

/** The two values keepalived reads for a verdict (pure). */
export function trackValues(v: NodeVerdict): { nodeOk: number; penalty: number } {
  return { nodeOk: v.health === "red" ? 0 : 1, penalty: v.penalty };
}

export function keepalivedAdapter(cfg: KeepalivedConfig, d: AdapterDeps): Adapter {
  const trouble = new TroubleOnce(d, "keepalived");
  const written = new Map<string, number>();
  const put = (file: string, value: number): void => {
    if (written.get(file) === value) return;
    try {
      mkdirSync(cfg.dir, { recursive: true, mode: 0o755 }); // a cleaned /run: recreate (keepalived re-reads on IN_MOVED_TO)
      writeAtomic(join(cfg.dir, file), `${value}\n`, 0o644, { durable: false }); // runtime state, rewritten on every change: no disk wait on the verdict's path
      written.set(file, value);
      trouble.ok(`writing ${file}`);
    } catch (e) {
      written.delete(file); // retried at the next verdict
      trouble.failed(`writing ${join(cfg.dir, file)}`, (e as Error).message);
    }
  };
  // Read back what we wrote; a difference is put right (and said, once per episode).
  const verify = (): void => {
    for (const [file, value] of written) {
      let now: string;
      try {
        now = readFileSync(join(cfg.dir, file), "utf8");
      } catch {
        now = "(missing)";
      }
      if (now === `${value}\n`) continue;
      d.log("warn", "keepalived: track file changed behind hamon's back: rewritten", { file: join(cfg.dir, file), found: now.slice(0, 16), value });
      written.delete(file);
      put(file, value);
    }
  };
  const timer = setInterval(verify, VERIFY_EVERY_MS);
  return {
    name: "keepalived",
    verdict(v) {
      const t = trackValues(v);
      // Penalty first: when the node comes back from FAULT it comes back at the right priority.
      put(PENALTY_FILE, t.penalty);
      put(NODE_OK_FILE, t.nodeOk);
    },
    async stop() {
      clearInterval(timer);
      if (cfg.onMonitorExit !== "fault") return;
      put(NODE_OK_FILE, 0);
      d.log("info", "keepalived: node_ok set to 0 (on_monitor_exit = \"fault\")", { dir: cfg.dir });
    },
  };
}
