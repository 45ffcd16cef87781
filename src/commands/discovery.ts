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
import { EXIT } from "../protocol/exit.ts";
import { daemonArgv, daemonOptions, discoveryArgs, loggerFor, type DaemonArgValues } from "../cli/daemon.ts";
import { err, failWith, out } from "../cli/out.ts";
import { refuseInjectedEnv } from "../security/env.ts";
import { renderOnce } from "../render/once.ts";
import { untilSignal } from "../sys/signals.ts";

export default defineCommand({
  meta: { name: "discovery", description: "Guard the monitor: restart it (or take over with --standby) when it dies; --once for cron" },
  args: discoveryArgs,
  async run({ args }) {
    const refused = refuseInjectedEnv("discovery");
    if (refused) return failWith(refused, EXIT.CONFIG);
    const a = args as DaemonArgValues & { once?: boolean; standby?: boolean; "kill-hung"?: boolean; timeout?: string; "hang-ms"?: string; "ping-ms"?: string };
    const log = loggerFor(a);
    const opts = daemonOptions(a, log);
    if (!opts) return EXIT.CONFIG;
    const monitorArgv = daemonArgv(a, opts.socketPath);
    if (a.once) {
      const r = renderOnce(await discoverOnce({ socket: opts.socketPath, monitorArgv, timeoutMs: intArg("timeout", a.timeout, 10, 600_000, 2_000), killHung: !!a["kill-hung"] }));
      out(r.out);
      err(r.err);
      return r.code;
    }
    const stopped = untilSignal(undefined, false).signal.then(() => {});
    log("info", a.standby ? "standby guardian" : "guardian", { socket: opts.socketPath });
    return guard({
      socket: opts.socketPath, monitorArgv, log, stop: stopped,
      pingMs: intArg("ping-ms", a["ping-ms"], 10, 60_000, 1_000),
      hangMs: intArg("hang-ms", a["hang-ms"], 100, 600_000, 10_000),
      ...(a.standby ? { becomeMonitor: () => runDaemon(opts) } : {}),
    });
  },
});
