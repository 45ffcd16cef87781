/** Durations for humans: 850ms, 12.5s, 7m, 3h; -1 (never) is "-". */
export function formatAge(ms: number): string {
  if (ms < 0) return "-";
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 7_200_000) return `${Math.floor(ms / 60_000)}m`;
  return `${Math.floor(ms / 3_600_000)}h`;
}
