/**
 * The compiled `hamon` binary for end-to-end tests, built once per test run
 * (bun test runs every file in one process) into a private directory, and a
 * synchronous runner that captures stdout, stderr and the exit status.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
export const BIN_DIR = mkdtempSync(join(tmpdir(), "hamon-bin-"));
export const BIN = join(BIN_DIR, "hamon");

let built: Promise<string> | null = null;

export function buildBinary(): Promise<string> {
  built ??= (async () => {
    const b = Bun.spawn([process.execPath, "build.ts", "--outfile", BIN], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if ((await b.exited) !== 0) throw new Error(`build failed: ${await new Response(b.stderr).text()}`);
    return BIN;
  })();
  return built;
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the binary; monitors it starts (discovery --once) keep their journal under BIN_DIR, not /var/lib/hamon. */
export function runBin(args: string[], cwd = BIN_DIR, env: Record<string, string> = {}): RunResult {
  const r = Bun.spawnSync([BIN, ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", HAMON_STATE_DIR: join(BIN_DIR, "state"), ...env } });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}
