/**
 * `hamon discovery`: keep one monitor alive on this host.
 *   (no flag)   guardian: watch the monitor, start a new one when it dies or hangs
 *   --standby   same, but take over as the monitor in this process (faster, no exec)
 *   --once      for cron: check once; exit 0 running, 3 started, 4 hung (left alone),
 *               5 hung and replaced (--kill-hung), 1 could not start one
 * The monitor flags (--config, --state-dir, --dry-run, --demo, --log-*) are
 * passed to the monitor it starts or becomes.
 */
import { defineCommand } from "citty";
import { intArg } from "../cli/strict.ts";
import { guard } from "../discovery/guardian.ts";
import { discoverOnce } from "../discovery/once.ts";
import { runDaemon } from "../monitor/daemon.ts";
import { EXIT } from "../cli/exit.ts";
import { daemonArgs, daemonArgv, daemonOptions, loggerFor, type DaemonArgValues } from "../cli/daemon.ts";
import { err, out } from "../cli/out.ts";
import { refuseInjectedEnv } from "../security/env.ts";

export const DISCOVERY_EXIT = { RUNNING: 0, FAILED: 1, STARTED: 3, HUNG: 4, REPLACED: 5 } as const;

export default defineCommand({
  meta: { name: "discovery", description: "Guard the monitor: restart it (or take over with --standby) when it dies; --once for cron" },
  args: {
    ...daemonArgs,
    once: { type: "boolean", description: "Check once and exit (0 running, 3 started, 4 hung, 5 replaced, 1 failed)" },
    standby: { type: "boolean", description: "When the monitor dies, become the monitor in this process" },
    "kill-hung": { type: "boolean", description: "With --once: kill a lock holder that does not answer, then start a new monitor" },
    timeout: { type: "string", alias: "t", description: "With --once: how long the monitor gets to answer (default 2000)", valueHint: "MS" },
    "hang-ms": { type: "string", description: "Guardian: a monitor silent this long is hung and killed (default 10000)", valueHint: "MS" },
    "ping-ms": { type: "string", description: "Guardian: ping period (default 1000)", valueHint: "MS" },
  },
  async run({ args }) {
    const refused = refuseInjectedEnv("discovery");
    if (refused) return err(refused), EXIT.CONFIG;
    const a = args as DaemonArgValues & { once?: boolean; standby?: boolean; "kill-hung"?: boolean; timeout?: string; "hang-ms"?: string; "ping-ms"?: string };
    const log = loggerFor(a);
    const opts = daemonOptions(a, log);
    if (!opts) return EXIT.CONFIG;
    const monitorArgv = daemonArgv(a, opts.socketPath);
    if (a.once) {
      const r = await discoverOnce({ socket: opts.socketPath, monitorArgv, timeoutMs: intArg("timeout", a.timeout, 10, 600_000, 2_000), killHung: !!a["kill-hung"] });
      switch (r.kind) {
        case "running": return DISCOVERY_EXIT.RUNNING;
        case "started":
          out(`started monitor pid ${r.pid}, answering after ${r.ms} ms\n`);
          return DISCOVERY_EXIT.STARTED;
        case "replaced":
          out(`killed hung monitor pid ${r.killed}; started monitor pid ${r.pid}, answering after ${r.ms} ms\n`);
          return DISCOVERY_EXIT.REPLACED;
        case "hung":
          err(`hamon discovery: ${r.why}${r.pid ? " (--kill-hung replaces it)" : ""}\n`);
          return DISCOVERY_EXIT.HUNG;
        case "failed":
          err(`hamon discovery: ${r.reason}\n`);
          return DISCOVERY_EXIT.FAILED;
      }
    }
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => stop());
    log("info", a.standby ? "standby guardian" : "guardian", { socket: opts.socketPath });
    return guard({
      socket: opts.socketPath, monitorArgv, log, stop: stopped,
      pingMs: intArg("ping-ms", a["ping-ms"], 10, 60_000, 1_000),
      hangMs: intArg("hang-ms", a["hang-ms"], 100, 600_000, 10_000),
      ...(a.standby ? { becomeMonitor: () => runDaemon(opts) } : {}),
    });
  },
});
