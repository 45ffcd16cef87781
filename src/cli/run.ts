/**
 * The entry runner: picks the subcommand, handles --help/--version, checks
 * args strictly, runs, and turns the outcome into an exit status. The only
 * place that decides how hamon exits (src/main.ts calls process.exit with it).
 */
import { renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
import { HamonError } from "../protocol/errors.ts";
import { printableLine } from "../render/table.ts";
import { checkArgs, UsageError } from "./strict.ts";
import { EXIT, exitFor } from "../protocol/exit.ts";

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Colour only on a terminal: citty colours usage even when piped. */
  tty: boolean;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

type AnyCommand = CommandDef<ArgsDef>;

export async function runCli(root: AnyCommand, subs: Record<string, () => Promise<AnyCommand>>, argv: string[], io: Io, version: string): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v" || first === "version") {
    io.out(`${version}\n`);
    return EXIT.OK;
  }
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.out(plain(io, await renderUsage(root)));
    if (first === undefined) io.err("\nno command given\n");
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const load = Object.hasOwn(subs, first) ? subs[first] : undefined;
  if (!load) {
    io.err(`hamon: unknown command '${first}' (see 'hamon --help')\n`);
    return EXIT.USAGE;
  }
  const cmd = await load();
  const dashdash = rest.indexOf("--");
  const flags = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  if (flags.includes("--help") || flags.includes("-h")) {
    io.out(plain(io, await renderUsage(cmd, root)));
    return EXIT.OK;
  }
  try {
    checkArgs(rest, (cmd.args ?? {}) as ArgsDef);
    const { result } = await runCommand(cmd, { rawArgs: rest });
    return typeof result === "number" ? result : EXIT.OK;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code === "EARG") {
      io.err(`hamon ${first}: ${(e as Error).message}\n(see 'hamon ${first} --help')\n`);
      // A Nagios plugin reports its own misuse as UNKNOWN (3): 2 would read as CRITICAL.
      return first === "check" ? 3 : EXIT.USAGE;
    }
    if (e instanceof HamonError) {
      // The monitor's words may carry a component's or a config file's text: through the escaping renderer.
      io.err(`hamon ${first}: ${printableLine(e.message)} [${e.code}]\n`);
      return exitFor(e.code);
    }
    io.err(`hamon ${first}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.INTERNAL;
  }
}

function plain(io: Io, s: string): string {
  const text = io.tty ? s : s.replace(ANSI, "");
  return text.endsWith("\n") ? text : `${text}\n`;
}
