/**
 * Allocation, counted rather than timed: run a fixture child with JSC's GC
 * log on and count the collections between its "=== START" and "=== END"
 * markers on stderr.
 */
export function collectionsBetweenMarkers(child: string, args: string[]): number {
  const r = Bun.spawnSync([process.execPath, child, ...args], { env: { ...process.env, BUN_JSC_logGC: "1" }, stderr: "pipe", stdout: "ignore" });
  const log = r.stderr.toString();
  if (!log.includes("=== END")) throw new Error(`fixture ${child} did not finish: ${log.slice(-500)}`);
  return (log.slice(log.indexOf("=== START"), log.indexOf("=== END")).match(/(Eden|Full)Collection/g) ?? []).length;
}
