/**
 * `hamon ocf ACTION`: the OCF resource agent (Pacemaker runs docs/ocf/hamon,
 * which execs this). Exit codes are OCF's (src/ocf/codes.ts); diagnostics go
 * to stderr, which Pacemaker logs.
 */
import { defineCommand } from "citty";
import { runAgent } from "../ocf/agent.ts";
import { out } from "../cli/out.ts";
import { createLogger } from "../log.ts";

export default defineCommand({
  meta: { name: "ocf", description: "OCF resource agent for Pacemaker (start, stop, monitor, validate-all, meta-data); parameters from OCF_RESKEY_*" },
  args: { action: { type: "positional", required: true, description: "start | stop | monitor | validate-all | meta-data | usage" } },
  async run({ args }) {
    return runAgent(args.action, { env: process.env, out, log: createLogger({ minLevel: "warn" }) });
  },
});
