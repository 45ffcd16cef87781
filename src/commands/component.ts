/**
 * `hamon component --name N [--plane P] [--kind K] (-- CMD ARGS… | --pid PID | --pidfile F)
 *  [--probe tcp://HOST:PORT|unix:PATH]… [--audit-cmd "CMD ARGS"]`: the sidecar.
 */
import { defineCommand } from "citty";
import { UsageError, intArg } from "../cli/strict.ts";
import { createLogger } from "../log.ts";
import { defaultSocketPath } from "../paths.ts";
import { COMPONENT_NAME_RE, SIDECAR_MAX_STOP_MS } from "../protocol/limits.ts";
import { KINDS, PLANES, type Kind, type Plane } from "../protocol/messages.ts";
import { splitCommand } from "../sidecar/audit.ts";
import { parseProbe, type Probe } from "../sidecar/probes.ts";
import { runSidecar } from "../sidecar/sidecar.ts";
import { socketArg } from "./_shared.ts";
import { refuseInjectedEnv } from "../security/env.ts";
import { err } from "../cli/out.ts";
import { EXIT } from "../cli/exit.ts";

export default defineCommand({
  meta: { name: "component", description: "Sidecar: register a daemon that does not link the library (owns `-- CMD…`, or watches --pid / --pidfile)" },
  args: {
    ...socketArg,
    name: { type: "string", required: true, description: "Component name", valueHint: "NAME" },
    plane: { type: "enum", options: [...PLANES], default: "control", description: "Plane of the daemon" },
    kind: { type: "enum", options: [...KINDS], default: "static", description: "static or dynamic" },
    pid: { type: "string", description: "Watch this running process instead of owning one", valueHint: "PID" },
    pidfile: { type: "string", description: "Watch the process this file names; followed to a new pid after a restart", valueHint: "FILE" },
    probe: { type: "string", description: "Health probe, repeatable: tcp://HOST:PORT or unix:PATH (a connect with a deadline)", valueHint: "URL" },
    "probe-timeout": { type: "string", description: "Probe deadline in ms (default 1000)", valueHint: "MS" },
    interval: { type: "string", description: "Probe period in ms (default 1000)", valueHint: "MS" },
    "audit-cmd": { type: "string", description: "Run on audit queries: exit 0 ok, 1 degraded, else failed (argv split on spaces, no shell)", valueHint: "CMD" },
    "audit-timeout": { type: "string", description: "Audit command deadline in ms (default 10000)", valueHint: "MS" },
    "stop-timeout": { type: "string", description: `SIGTERM → SIGKILL delay for an owned daemon in ms (default 5000, at most ${SIDECAR_MAX_STOP_MS})`, valueHint: "MS" },
    "exit-with-daemon": { type: "boolean", description: "Exit with the owned daemon's status when it dies (for a supervised sidecar) instead of waiting for the monitor to restart it" },
  },
  async run({ args, rawArgs }) {
    const refused = refuseInjectedEnv("component");
    if (refused) return err(refused), EXIT.CONFIG;
    const dd = rawArgs.indexOf("--");
    const argv = dd >= 0 ? rawArgs.slice(dd + 1) : [];
    if (!COMPONENT_NAME_RE.test(args.name)) throw new UsageError(`--name must match ${COMPONENT_NAME_RE.source}, got '${args.name}'`);
    const targets = [argv.length > 0, args.pid !== undefined, args.pidfile !== undefined].filter(Boolean).length;
    if (targets !== 1) throw new UsageError("give exactly one of '-- CMD ARGS…', --pid PID or --pidfile FILE");
    if (args["exit-with-daemon"] && argv.length === 0) throw new UsageError("--exit-with-daemon needs an owned daemon ('-- CMD ARGS…')");
    const pid = args.pid === undefined ? undefined : intArg("pid", args.pid, 1, 4_194_304, 0);
    const audit = args["audit-cmd"] === undefined ? undefined : splitCommand(args["audit-cmd"]);
    if (audit?.length === 0) throw new UsageError("--audit-cmd is empty");
    return runSidecar({
      name: args.name, plane: args.plane as Plane, kind: args.kind as Kind, socket: args.socket || defaultSocketPath(),
      log: createLogger(), ...(pid ? { pid } : args.pidfile ? { pidfile: args.pidfile } : { argv }),
      probes: repeated(rawArgs.slice(0, dd >= 0 ? dd : rawArgs.length), "probe").map(probeArg),
      probeTimeoutMs: intArg("probe-timeout", args["probe-timeout"], 10, 60_000, 1_000),
      intervalMs: intArg("interval", args.interval, 10, 3_600_000, 1_000),
      ...(audit ? { auditArgv: audit } : {}),
      auditTimeoutMs: intArg("audit-timeout", args["audit-timeout"], 10, 600_000, 10_000),
      stopTimeoutMs: intArg("stop-timeout", args["stop-timeout"], 0, SIDECAR_MAX_STOP_MS, 5_000),
      exitWithDaemon: args["exit-with-daemon"] === true,
    });
  },
});

/** Every value of a repeatable flag (`--probe A --probe B`, `--probe=A`), in order. */
function repeated(raw: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    if (t === `--${flag}`) out.push(raw[++i] ?? "");
    else if (t.startsWith(`--${flag}=`)) out.push(t.slice(flag.length + 3));
  }
  return out;
}

function probeArg(spec: string): Probe {
  try {
    return parseProbe(spec);
  } catch (e) {
    throw new UsageError(`--probe: ${(e as Error).message}`);
  }
}
