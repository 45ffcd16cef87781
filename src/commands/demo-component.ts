/**
 * `hamon demo-component`: a demo daemon for the demo appliance (src/demo).
 * `steady` stays healthy; `flaky` fails 4–8 s into each life, crashing
 * (exit 1) on an even pid and hanging (stops answering queries) on an odd one.
 */
import { untilSignal } from "../sys/signals.ts";
import { defineCommand } from "citty";
import { Component, type QueryAnswer } from "../library/index.ts";

export default defineCommand({
  meta: { name: "demo-component", description: "(demo) a daemon of the demo appliance: steady or flaky" },
  args: {
    name: { type: "string", required: true, description: "Component name", valueHint: "NAME" },
    behave: { type: "enum", options: ["steady", "flaky"], default: "steady", description: "steady, or flaky (fails every few seconds)" },
  },
  async run({ args }) {
    let hung = false;
    const c = new Component({
      name: args.name,
      kind: args.name === "ospfd" ? "dynamic" : "static",
      onQuery: () => (hung ? new Promise<QueryAnswer>(() => {}) : { health: "ok", detail: "demo: all good" }),
      audit: () => ({ health: "ok", detail: "demo audit: tables consistent" }),
    });
    await c.start();
    if (args.behave === "flaky") {
      setTimeout(() => {
        if (process.pid % 2 === 0) process.exit(1);
        hung = true;
      }, 4_000 + Math.random() * 4_000);
    }
    await untilSignal().signal;
    await c.stop("demo stop");
    return 0;
  },
});
