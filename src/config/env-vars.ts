/**
 * The one list of variables that load code (or write files) in a child:
 * Bun's and Node's, and those of glibc's UNSECURE_ENVVARS (what ld.so drops
 * for a setuid program) that load code or write files. Scrubbed from what a
 * child inherits, and refused in a component's `env` (config.ts).
 */
const LOADER_VARS = new Set(["NODE_OPTIONS", "GCONV_PATH", "GETCONF_DIR", "LD_AUDIT", "LD_DEBUG_OUTPUT", "LD_LIBRARY_PATH", "LD_ORIGIN_PATH", "LD_PRELOAD", "LD_PROFILE", "LOCPATH", "MALLOC_TRACE", "NLSPATH"]);

export function injectsCode(name: string): boolean {
  return name.startsWith("BUN_") || LOADER_VARS.has(name);
}
