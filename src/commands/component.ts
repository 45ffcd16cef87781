/** `hamon component --name N [--plane P] [--kind K] (-- CMD ARGS… | --pid PID)`: the sidecar. */
import { defineCommand } from "citty";
import { UsageError, intArg } from "../cli/strict.ts";
import { createLogger } from "../log.ts";
import { defaultSocketPath } from "../paths.ts";
import { COMPONENT_NAME_RE } from "../protocol/limits.ts";
import { KINDS, PLANES, type Kind, type Plane } from "../protocol/messages.ts";
import { runSidecar } from "../sidecar/sidecar.ts";
import { socketArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "component", description: "Sidecar: register a daemon that does not link the library (owns `-- CMD…`, or watches --pid)" },
  args: {
    ...socketArg,
    name: { type: "string", required: true, description: "Component name", valueHint: "NAME" },
    plane: { type: "enum", options: [...PLANES], default: "control", description: "Plane of the daemon" },
    kind: { type: "enum", options: [...KINDS], default: "static", description: "static or dynamic" },
    pid: { type: "string", description: "Watch this running process instead of owning one", valueHint: "PID" },
  },
  async run({ args, rawArgs }) {
    const dd = rawArgs.indexOf("--");
    const argv = dd >= 0 ? rawArgs.slice(dd + 1) : [];
    if (!COMPONENT_NAME_RE.test(args.name)) throw new UsageError(`--name must match ${COMPONENT_NAME_RE.source}, got '${args.name}'`);
    if ((argv.length > 0) === (args.pid !== undefined)) throw new UsageError("give exactly one of '-- CMD ARGS…' or --pid PID");
    const pid = args.pid === undefined ? undefined : intArg("pid", args.pid, 1, 4_194_304, 0);
    return runSidecar({
      name: args.name, plane: args.plane as Plane, kind: args.kind as Kind, socket: args.socket || defaultSocketPath(),
      log: createLogger(), ...(pid ? { pid } : { argv }),
    });
  },
});
