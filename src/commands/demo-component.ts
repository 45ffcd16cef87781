/**
 * `hamon demo-component`: a demo daemon for the demo appliance (src/demo).
 * `steady` stays healthy; `flaky` fails 4–8 s into each life, crashing
 * (exit 1) on an even pid and hanging (stops answering queries) on an odd one;
 * `plain` never links the library: it answers "PONG" to a line "PING" on its
 * UNIX socket (`--listen`), as a daemon hamon watches with a probe.
 */
import { rmSync } from "node:fs";
import { untilSignal } from "../sys/signals.ts";
import { defineCommand } from "citty";
import { Component, type QueryAnswer } from "../library/index.ts";

export default defineCommand({
  meta: { name: "demo-component", description: "(demo) a daemon of the demo appliance: steady or flaky" },
  args: {
    name: { type: "string", required: true, description: "Component name", valueHint: "NAME" },
    behave: { type: "enum", options: ["steady", "flaky", "plain"], default: "steady", description: "steady, flaky (fails every few seconds), or plain (no library: answers PING on --listen)" },
    listen: { type: "string", description: "plain: the UNIX socket to answer on", valueHint: "PATH" },
  },
  async run({ args }) {
    if (args.behave === "plain") return plain(args.listen);
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

/** A daemon that knows nothing of hamon: a line-based PING/PONG service on a UNIX socket. */
async function plain(path: string | undefined): Promise<number> {
  if (!path) {
    process.stderr.write("demo-component: --behave plain needs --listen PATH\n");
    return 2;
  }
  rmSync(path, { force: true });
  const server = Bun.listen<{ buf: string }>({
    unix: path,
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, chunk) {
        s.data.buf = (s.data.buf + chunk.toString()).slice(-64);
        if (s.data.buf.includes("PING")) {
          s.data.buf = "";
          s.write("PONG\n");
        }
      },
    },
  });
  await untilSignal().signal;
  server.stop(true);
  rmSync(path, { force: true });
  return 0;
}
