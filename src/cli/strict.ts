/**
 * citty accepts unknown flags, a flag with no value (`--socket` → "") and
 * leaves numbers as strings (no number type). `checkArgs` refuses all three
 * before a command runs, with a message that names the flag; the entry point
 * turns the UsageError into exit status 2.
 *
 * @example checkArgs(["--sokcet", "/x"], defs) // throws UsageError("unknown flag --sokcet")
 */
import type { ArgsDef } from "citty";

export class UsageError extends Error {
  override name = "UsageError";
}

/** Validates raw argv against a command's declared args. Tokens after `--` are the caller's. */
export function checkArgs(raw: readonly string[], defs: ArgsDef): void {
  const byFlag = new Map<string, { key: string; type: string }>();
  let positionals = 0;
  for (const [key, d] of Object.entries(defs)) {
    if (d.type === "positional") {
      positionals++;
      continue;
    }
    byFlag.set(key, { key, type: d.type ?? "string" });
    const aliases = "alias" in d && d.alias ? (Array.isArray(d.alias) ? d.alias : [d.alias]) : [];
    for (const a of aliases) byFlag.set(a, { key, type: d.type ?? "string" });
  }
  let seenPositionals = 0;
  for (let i = 0; i < raw.length; i++) {
    const tok = raw[i]!;
    if (tok === "--") return;
    if (!tok.startsWith("-") || tok === "-") {
      if (++seenPositionals > positionals) throw new UsageError(`unexpected argument '${tok}'`);
      continue;
    }
    const body = tok.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const flag = eq >= 0 ? body.slice(0, eq) : body;
    let def = byFlag.get(flag);
    if (!def && flag.startsWith("no-")) {
      const neg = byFlag.get(flag.slice(3));
      if (neg?.type === "boolean") continue;
    }
    if (!def) throw new UsageError(`unknown flag ${tok.startsWith("--") ? "--" : "-"}${flag}`);
    if (def.type === "boolean") {
      if (eq >= 0) throw new UsageError(`flag --${def.key} takes no value`);
      continue;
    }
    const value = eq >= 0 ? body.slice(eq + 1) : raw[i + 1];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("-") && value !== "-")) {
      throw new UsageError(`flag --${def.key} needs a value`);
    }
    if (eq < 0) i++;
    def = undefined;
  }
}

/** Parses a plain decimal integer flag within [min, max]; refuses `0x10`, `1e3`, `5ms`, ``. */
export function intArg(flag: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) throw new UsageError(`--${flag} must be a decimal integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}
