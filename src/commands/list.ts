/** `hamon list`: one line per component, `NAME STATE HEALTH`, for scripts. */
import { defineCommand } from "citty";
import { HamonError } from "../protocol/errors.ts";
import { renderList } from "../render/status.ts";
import { command, socketArg, timeoutArg } from "./_shared.ts";

export default defineCommand({
  meta: { name: "list", description: "List components, one per line: NAME STATE HEALTH" },
  args: { ...socketArg, ...timeoutArg },
  async run({ args }) {
    const r = await command(args, "list");
    if (r.type !== "result") throw new HamonError("E_STATE", `unexpected <${r.type}> reply`);
    process.stdout.write(renderList(r));
    return 0;
  },
});
