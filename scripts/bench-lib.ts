/** What every bench:* script shares: the hamon under test and percentiles. */
import { join } from "node:path";
import { MAIN } from "../test/helpers/monitor-proc.ts";

/** argv that runs hamon: dist/hamon built now (what users run), or from source. Exits on a failed build. */
export function hamonArgv(fromSource = false): string[] {
  if (fromSource) return [process.execPath, MAIN];
  const bin = join(process.cwd(), "dist", "hamon");
  const b = Bun.spawnSync([process.execPath, "build.ts", "--outfile", bin], { stdout: "ignore", stderr: "inherit" });
  if (b.exitCode !== 0) process.exit(1);
  return [bin];
}

/** The p-quantile (0..1) of unsorted samples, nearest rank. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}
