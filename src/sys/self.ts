/** The argv that runs this same hamon: the compiled binary, or bun + src/main.ts from source. */
export function selfArgv(): string[] {
  return Bun.main.endsWith(".ts") ? [process.execPath, Bun.main] : [process.execPath];
}
