/**
 * `hamon demo-fastpath`: the demo appliance's simulated fast path
 * (src/demo/fastpath.ts): cores beating through a real heartbeat region,
 * one of them stalling now and then. No compiler needed.
 */
import { defineCommand } from "citty";
import { DemoFastPath } from "../demo/fastpath.ts";
import { untilSignal } from "../sys/signals.ts";

export default defineCommand({
  meta: { name: "demo-fastpath", description: "(demo) a simulated fast path: cores beating through a heartbeat region, one stalling now and then" },
  args: {
    heartbeat: { type: "string", required: true, description: "Where to publish the region", valueHint: "PATH" },
    cores: { type: "string", default: "4", description: "Cores (1..64)" },
    "stall-every-ms": { type: "string", default: "40000", description: "A core stalls this long after the start and after each stall ends" },
    "stall-ms": { type: "string", default: "2000", description: "How long a stall lasts" },
  },
  async run({ args }) {
    const cores = Number(args.cores);
    const every = Number(args["stall-every-ms"]);
    const stall = Number(args["stall-ms"]);
    if (!Number.isInteger(cores) || cores < 1 || cores > 64 || !(every > 0) || !(stall > 0)) {
      process.stderr.write("demo-fastpath: --cores 1..64, --stall-every-ms and --stall-ms > 0\n");
      return 2;
    }
    const fp = new DemoFastPath({ path: args.heartbeat, cores, beatMs: 5, stallEveryMs: every, stallMs: stall });
    fp.start();
    await untilSignal().signal;
    fp.stop();
    return 0;
  },
});
