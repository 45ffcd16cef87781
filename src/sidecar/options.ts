/**
 * The sidecar's options from its command line (`hamon component …`): the
 * target (`-- CMD ARGS…`, --pid or --pidfile, exactly one), its checks (the
 * same probe and exec checks as a plain daemon's in the monitor's
 * configuration: repeatable --probe, each optionally followed by its --send
 * and --expect; repeatable --check-cmd), the audit command, the deadlines.
 * Usage errors are UsageError (exit 64), naming the flag.
 */
import { UsageError, intArg } from "../cli/strict.ts";
import { createLogger } from "../log.ts";
import { defaultSocketPath } from "../paths.ts";
import { COMPONENT_NAME_RE, SIDECAR_MAX_STOP_MS } from "../protocol/limits.ts";
import type { Kind, Plane } from "../protocol/messages.ts";
import { splitCommand } from "../probes/exec.ts";
import { EXPECT_MAX_BYTES } from "../probes/connect.ts";
import { parseProbe, type Probe } from "../config/probe-spec.ts";
import type { ExternalRun as CheckRun } from "../config/check.ts";
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
    checks: checkArgs(rawArgs.slice(0, dd >= 0 ? dd : rawArgs.length)),
    checkTimeoutMs: intArg("probe-timeout", args["probe-timeout"], 10, 60_000, 1_000),
    intervalMs: intArg("interval", args.interval, 10, 3_600_000, 1_000),
    ...(audit ? { auditArgv: audit } : {}),
    auditTimeoutMs: intArg("audit-timeout", args["audit-timeout"], 10, 600_000, 10_000),
    stopTimeoutMs: intArg("stop-timeout", args["stop-timeout"], 0, SIDECAR_MAX_STOP_MS, 5_000),
    exitWithDaemon: args["exit-with-daemon"] === true,
  };
}

/** Flags read in order from the raw arguments (citty keeps only a repeated flag's last value). */
const ORDERED = ["probe", "send", "expect", "check-cmd"] as const;

/**
 * The checks, in command-line order: `--probe SPEC [--send TEXT] [--expect TEXT]`
 * (send/expect belong to the --probe before them) and `--check-cmd "CMD ARGS"`.
 */
function checkArgs(raw: readonly string[]): CheckRun[] {
  const out: CheckRun[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    const flag = ORDERED.find((f) => t === `--${f}` || t.startsWith(`--${f}=`));
    if (!flag) continue;
    const value = t === `--${flag}` ? (raw[++i] ?? "") : t.slice(flag.length + 3);
    const last = out.at(-1);
    if (flag === "probe") out.push({ probe: probeArg(value), send: "", expect: "" });
    else if (flag === "check-cmd") {
      const argv = splitCommand(value);
      if (argv.length === 0) throw new UsageError("--check-cmd is empty");
      out.push({ exec: argv, codes: "nagios" }); // the sidecar's --check-cmd reads a monitoring plugin's codes, as documented
    } else {
      if (!last || !("probe" in last)) throw new UsageError(`--${flag} belongs to a --probe: give it after one`);
      if (last[flag]) throw new UsageError(`--${flag} given twice for probe ${last.probe.spec}`);
      last[flag] = unescape(value, `--${flag}`);
      if (flag === "expect" && last.expect.length > EXPECT_MAX_BYTES) throw new UsageError(`--expect is longer than ${EXPECT_MAX_BYTES} bytes`);
    }
  }
  return out;
}

/** The escapes --send and --expect understand (a TOML string in the config has its own). */
const ESCAPES = new Map([["n", "\n"], ["r", "\r"], ["t", "\t"], ["0", "\0"], ["\\", "\\"]]);

/** Backslash escapes, so a shell user can give the bytes a probe needs: \n \r \t \0 \\ \xHH. */
function unescape(s: string, flag: string): string {
  return s.replace(/\\(x[0-9A-Fa-f]{2}|.|$)/g, (_m, c: string) => {
    if (c.length === 3) return String.fromCharCode(parseInt(c.slice(1), 16));
    const one = ESCAPES.get(c);
    if (one === undefined) throw new UsageError(`${flag}: unknown escape '\\${c}' (\\n \\r \\t \\0 \\\\ \\xHH)`);
    return one;
  });
}

function probeArg(spec: string): Probe {
  try {
    return parseProbe(spec);
  } catch (e) {
    throw new UsageError(`--probe: ${(e as Error).message}`);
  }
}
