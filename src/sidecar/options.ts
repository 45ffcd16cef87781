/**
 * The sidecar's options from its command line (`hamon component …`): the
 * target (`-- CMD ARGS…`, --pid or --pidfile, exactly one), repeatable
 * probes, the audit command, the deadlines. Usage errors are UsageError
 * (exit 64), naming the flag.
 */
import { UsageError, intArg } from "../cli/strict.ts";
import { createLogger } from "../log.ts";
import { defaultSocketPath } from "../paths.ts";
import { COMPONENT_NAME_RE, SIDECAR_MAX_STOP_MS } from "../protocol/limits.ts";
import type { Kind, Plane } from "../protocol/messages.ts";
import { splitCommand } from "../probes/exec.ts";
import { parseProbe, type Probe } from "../probes/connect.ts";
import type { SidecarOptions } from "./sidecar.ts";

export interface SidecarArgs {
  socket?: string | undefined;
  name: string;
  plane: string;
  kind: string;
  pid?: string | undefined;
  pidfile?: string | undefined;
  "probe-timeout"?: string | undefined;
  interval?: string | undefined;
  "audit-cmd"?: string | undefined;
  "audit-timeout"?: string | undefined;
  "stop-timeout"?: string | undefined;
  "exit-with-daemon"?: boolean | undefined;
}

export function sidecarOptions(args: SidecarArgs, rawArgs: readonly string[]): SidecarOptions {
  const dd = rawArgs.indexOf("--");
  const argv = dd >= 0 ? rawArgs.slice(dd + 1) : [];
  if (!COMPONENT_NAME_RE.test(args.name)) throw new UsageError(`--name must match ${COMPONENT_NAME_RE.source}, got '${args.name}'`);
  const targets = [argv.length > 0, args.pid !== undefined, args.pidfile !== undefined].filter(Boolean).length;
  if (targets !== 1) throw new UsageError("give exactly one of '-- CMD ARGS…', --pid PID or --pidfile FILE");
  if (args["exit-with-daemon"] && argv.length === 0) throw new UsageError("--exit-with-daemon needs an owned daemon ('-- CMD ARGS…')");
  const pid = args.pid === undefined ? undefined : intArg("pid", args.pid, 1, 4_194_304, 0);
  const audit = args["audit-cmd"] === undefined ? undefined : splitCommand(args["audit-cmd"]);
  if (audit?.length === 0) throw new UsageError("--audit-cmd is empty");
  return {
    name: args.name, plane: args.plane as Plane, kind: args.kind as Kind, socket: args.socket || defaultSocketPath(),
    log: createLogger(), ...(pid ? { pid } : args.pidfile ? { pidfile: args.pidfile } : { argv }),
    probes: repeated(rawArgs.slice(0, dd >= 0 ? dd : rawArgs.length), "probe").map(probeArg),
    probeTimeoutMs: intArg("probe-timeout", args["probe-timeout"], 10, 60_000, 1_000),
    intervalMs: intArg("interval", args.interval, 10, 3_600_000, 1_000),
    ...(audit ? { auditArgv: audit } : {}),
    auditTimeoutMs: intArg("audit-timeout", args["audit-timeout"], 10, 600_000, 10_000),
    stopTimeoutMs: intArg("stop-timeout", args["stop-timeout"], 0, SIDECAR_MAX_STOP_MS, 5_000),
    exitWithDaemon: args["exit-with-daemon"] === true,
  };
}

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
