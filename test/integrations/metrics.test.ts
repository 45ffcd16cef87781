/** The Prometheus text format as a pure rendering: names, types, label escaping, histogram buckets. */
import { expect, test } from "bun:test";
import { escapeLabel, renderMetrics, type MetricsSnapshot } from "../../src/adapters/metrics.ts";
import { LatenessHistogram } from "../../src/engine/lateness.ts";

function snap(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  const h = new LatenessHistogram();
  for (const ms of [0.2, 3, 40, 400, 9_000]) h.observe(ms);
  return {
    version: "1.2.3", startTimeS: 1_700_000_000,
    components: [{ name: "ospfd", plane: "control", kind: "static", state: "up", health: "degraded", restarts: 2, quarantined: false, held: false, busySinceMs: 5_000 }],
    fastpaths: [{ fastpath: "fp0", cores: [{ slot: 0, lcore: 3, name: 'rx"q\\0\n', verdict: "dead", ageMs: 1_500 }] }],
    lateness: h, node: { health: "yellow", penalty: 10, reason: "ospfd degraded" },
    recoveries: { "restart-daemon": 4, "restart-control-plane": 1, "restart-control-plane-and-fast-path": 0, "reboot-system": 0 },
    quarantines: 0, starved: 1, events: 42, persistence: { eventsLost: 3, journalFailures: 1 },
    pressure: { shares: [85.5, NaN, 2], under: [true, false, false] }, ...over,
  };
}

test("every family has HELP and TYPE once, before its samples; counters end in _total; seconds are seconds", () => {
  const text = renderMetrics(snap());
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
  expect(new Set(types.map((t) => t[0])).size).toBe(types.length);
  for (const [name, type] of types) {
    if (type === "counter") expect(name).toEndWith("_total");
    expect(text.indexOf(`# HELP ${name} `)).toBeLessThan(text.indexOf(`# TYPE ${name} `));
  }
  expect(text).toContain('hamon_fastpath_core_beat_age_seconds{fastpath="fp0",slot="0",lcore="3",core="rx\\"q\\\\0\\n"} 1.5');
  expect(text).toContain('hamon_component_health{component="ospfd",health="degraded"} 1');
  expect(text).toContain('hamon_component_health{component="ospfd",health="ok"} 0');
  expect(text).toContain('hamon_recoveries_total{level="restart-daemon"} 4');
  expect(text).toContain("hamon_node_penalty 10");
  expect(text).toContain('hamon_component_busy{component="ospfd"} 1');
  // PSI: a share that cannot be read is no sample (not a 0); each resource's pressure verdict is.
  expect(text).toContain('hamon_node_pressure_ratio{resource="cpu"} 0.855');
  expect(text).not.toContain('hamon_node_pressure_ratio{resource="memory"}');
  expect(text).toContain('hamon_node_under_pressure{resource="cpu"} 1');
  expect(text).toContain('hamon_node_under_pressure{resource="io"} 0');
  expect(text.endsWith("\n")).toBe(true);
});

test("the lateness histogram is cumulative and ends with +Inf = count", () => {
  const text = renderMetrics(snap());
  const buckets = [...text.matchAll(/^hamon_monitor_loop_lateness_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
  expect(buckets.find((b) => b[0] === "0.001")?.[1]).toBe(1);
  expect(buckets.find((b) => b[0] === "0.005")?.[1]).toBe(2);
  expect(buckets.find((b) => b[0] === "0.05")?.[1]).toBe(3);
  expect(buckets.find((b) => b[0] === "0.5")?.[1]).toBe(4);
  expect(buckets.at(-1)).toEqual(["+Inf", 5]);
  for (let i = 1; i < buckets.length; i++) expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]);
  expect(text).toContain("hamon_monitor_loop_lateness_seconds_count 5");
  expect(text).toMatch(/hamon_monitor_loop_lateness_seconds_sum 9\.4432/);
});

test("label values are escaped as the format says (backslash, quote, newline), nothing else", () => {
  expect(escapeLabel('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
});

test("observe() counts into one fixed array: every observation in exactly one bucket, negative lateness as 0", () => {
  const h = new LatenessHistogram();
  const before = h.counts;
  for (let i = 0; i < 10_000; i++) h.observe((i % 300) - 5);
  expect(h.counts).toBe(before);
  expect(h.counts.reduce((a, b) => a + b, 0)).toBe(10_000);
  expect(h.count).toBe(10_000);
  // ≤ 1 ms: i % 300 in 0..6 (values -5..1), 7 per cycle, 34 cycles begun in 10,000 → 238.
  expect(h.counts[0]).toBe(238);
});
