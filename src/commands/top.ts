/**
 * `hamon top`: a live view of the appliance in the terminal (src/cli/top.ts
 * on src/cli/terminal.ts): the node verdict, the components, each fast
 * path's cores, the last events; driven by the event stream, redrawn only on
 * change. `q` or Ctrl-C leaves the terminal as it was. Without a terminal it
 * refuses: `status` and `events --follow` are the commands for scripts.
 */
import { defineCommand } from "citty";
import { EXIT } from "../protocol/exit.ts";
import { err, failWith } from "../cli/out.ts";
import { openFullScreen } from "../cli/terminal.ts";
import { runTop } from "../cli/top.ts";
import { defaultSocketPath } from "../paths.ts";
import { untilSignal } from "../sys/signals.ts";
import { socketArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "top", description: "Live view of the node, its components, fast-path cores and events (a terminal is needed; q quits)" },
  args: { ...socketArg },
  async run({ args }) {
    const screen = openFullScreen();
    if (!screen) {
      err("hamon top: needs a terminal (stdin and stdout); for scripts and pipes use `hamon status` or `hamon events --follow`\n");
      return EXIT.USAGE;
    }
    const stop = untilSignal(undefined, false);
    const error = await runTop(args.socket || defaultSocketPath(), screen.term, Promise.race([stop.signal, screen.quit]), { colour: !process.env.NO_COLOR });
    screen.close();
    if (error) return failWith(`hamon top: ${error}\n`, EXIT.UNAVAILABLE);
    return EXIT.OK;
  },
});
