/**
 * `hamon component --name N [--plane P] [--kind K] (-- CMD ARGS… | --pid PID | --pidfile F)
 *  [--probe tcp://HOST:PORT|unix:PATH [--send TEXT] [--expect TEXT]]… [--check-cmd "CMD ARGS"]…
 *  [--audit-cmd "CMD ARGS"]`: the sidecar.
 */
import { defineCommand } from "citty";
import { SIDECAR_MAX_STOP_MS } from "../protocol/limits.ts";
import { KINDS, PLANES } from "../protocol/messages.ts";
import { sidecarOptions } from "../sidecar/options.ts";
import { runSidecar } from "../sidecar/sidecar.ts";
import { socketArg } from "./_shared.ts";
import { refuseInjectedEnv } from "../security/env.ts";
import { failWith } from "../cli/out.ts";
import { EXIT } from "../protocol/exit.ts";

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
    send: { type: "string", description: "Bytes the --probe before it writes once connected (escapes: \\n \\r \\t \\0 \\\\ \\xHH)", valueHint: "TEXT" },
    expect: { type: "string", description: "Bytes the --probe before it must read within the deadline: what catches a hung daemon", valueHint: "TEXT" },
    "check-cmd": { type: "string", description: "Exec check, repeatable: exit 0 ok, 1 degraded, else failed; first output line is the detail (no shell)", valueHint: "CMD" },
    "probe-timeout": { type: "string", description: "Deadline of each probe and check command in ms (default 1000)", valueHint: "MS" },
    interval: { type: "string", description: "Check period in ms (default 1000)", valueHint: "MS" },
    "audit-cmd": { type: "string", description: "Run on audit queries: exit 0 ok, 1 degraded, else failed (argv split on spaces, no shell)", valueHint: "CMD" },
    "audit-timeout": { type: "string", description: "Audit command deadline in ms (default 10000)", valueHint: "MS" },
    "stop-timeout": { type: "string", description: `SIGTERM → SIGKILL delay for an owned daemon in ms (default 5000, at most ${SIDECAR_MAX_STOP_MS})`, valueHint: "MS" },
    "exit-with-daemon": { type: "boolean", description: "Exit with the owned daemon's status when it dies (for a supervised sidecar) instead of waiting for the monitor to restart it" },
  },
  async run({ args, rawArgs }) {
    const refused = refuseInjectedEnv("component");
    if (refused) return failWith(refused, EXIT.CONFIG);
    return runSidecar(sidecarOptions(args, rawArgs));
  },
});
