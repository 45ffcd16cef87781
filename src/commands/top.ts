/**
 * `hamon top`: a live view of the appliance in the terminal (src/cli/top.ts):
 * the node verdict, the components, each fast path's cores, the last events;
 * driven by the event stream, redrawn only on change. `q` or Ctrl-C leaves
 * the terminal as it was (the alternate screen, cursor and line mode are
 * restored). Without a terminal it refuses: `status` and `events --follow`
 * are the commands for scripts and pipes.
 */
import { writeSync } from "node:fs";
import { defineCommand } from "citty";
import { EXIT } from "../cli/exit.ts";
import { err } from "../cli/out.ts";
import { runTop } from "../cli/top.ts";
import { defaultSocketPath } from "../paths.ts";
import { untilSignal } from "../sys/signals.ts";
import { socketArg } from "./_shared.ts";

const ENTER = "\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J"; // alternate screen, cursor hidden
const LEAVE = "\u001b[?25h\u001b[?1049l"; // cursor shown, the original screen back

export default defineCommand({
  meta: { name: "top", description: "Live view of the node, its components, fast-path cores and events (a terminal is needed; q quits)" },
  args: { ...socketArg },
  async run({ args }) {
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      err("hamon top: needs a terminal (stdin and stdout); for scripts and pipes use `hamon status` or `hamon events --follow`\n");
      return EXIT.USAGE;
    }
    const stop = untilSignal(undefined, false);
    let quit!: () => void;
    const quitKey = new Promise<void>((resolve) => (quit = resolve));
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", (b: Buffer) => {
      // q, Q, Ctrl-C (raw mode: no SIGINT from the terminal), Ctrl-D.
      if (b.includes(0x71) || b.includes(0x51) || b.includes(0x03) || b.includes(0x04)) quit();
    });
    const write = (s: string) => {
      writeSync(1, s);
    };
    const restore = () => {
      try {
        stdin.setRawMode(false);
      } catch {
        /* the terminal is gone */
      }
      write(LEAVE);
    };
    process.once("exit", restore); // even on an exception, the operator's terminal comes back
    write(ENTER);
    const r = await runTop(args.socket || defaultSocketPath(), {
      size: () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
      write,
      onResize: (cb) => void process.stdout.on("resize", cb),
    }, Promise.race([stop.signal, quitKey]), { colour: !process.env.NO_COLOR });
    process.removeListener("exit", restore);
    restore();
    stdin.pause();
    if (r.error) return err(`hamon top: ${r.error}\n`), EXIT.UNAVAILABLE;
    return EXIT.OK;
  },
});
