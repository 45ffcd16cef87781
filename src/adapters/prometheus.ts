/**
 * Prometheus: the metrics of src/adapters/metrics.ts, written to a
 * node_exporter textfile-collector file (replaced by rename every
 * `interval_ms`, so the collector never reads half a file) and/or served on
 * `listen` (GET /metrics, from a thread of its own: metrics-worker.ts). Event-derived counters (recoveries by level,
 * quarantines, starvation, events) are counted here from the event stream;
 * the rest is read from the monitor when a snapshot is taken.
 */
import type { PrometheusConfig } from "../config/integrations.ts";
import type { NodeVerdict } from "../engine/node.ts";
import { GREEN } from "../engine/node.ts";
import { LEVELS, type Level } from "../protocol/messages.ts";
import { writeAtomic } from "../sys/atomic.ts";
import { TroubleOnce, type Adapter, type AdapterDeps } from "./adapter.ts";
import { renderMetrics, type MetricsSnapshot } from "./metrics.ts";
import type { FromMetrics, ToMetrics } from "./metrics-worker.ts";
import { startWorker } from "../sys/worker.ts";

/** What the monitor lends the adapter (read when a snapshot is taken). */
export interface MetricsSource {
  components(): MetricsSnapshot["components"];
  fastpaths(): MetricsSnapshot["fastpaths"];
  lateness(): MetricsSnapshot["lateness"];
  persistence(): MetricsSnapshot["persistence"];
  pressure(): MetricsSnapshot["pressure"];
}

export interface PrometheusAdapter extends Adapter {
  /** The port actually bound (listen port 0 picks one), or null. */
  readonly port: number | null;
  render(): string;
}

export function prometheusAdapter(cfg: PrometheusConfig, src: MetricsSource, version: string, d: AdapterDeps): PrometheusAdapter {
  const startTimeS = Math.floor(Date.now() / 1_000);
  const recoveries = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  let quarantines = 0;
  let starved = 0;
  let events = 0;
  let node: NodeVerdict = GREEN;
  const trouble = new TroubleOnce(d, "prometheus");

  const render = (): string =>
    renderMetrics({ version, startTimeS, components: src.components(), fastpaths: src.fastpaths(), lateness: src.lateness(), persistence: src.persistence(), pressure: src.pressure(), node, recoveries, quarantines, starved, events });

  const writeTextfile = (): void => {
    if (!cfg.textfile) return;
    try {
      writeAtomic(cfg.textfile, render(), 0o644, { durable: false }); // rewritten every interval_ms: no disk wait on the monitor's loop
      trouble.ok("textfile");
    } catch (e) {
      trouble.failed(`writing ${cfg.textfile}`, (e as Error).message);
    }
  };

  // The endpoint runs on a thread of its own (metrics-worker.ts): a flood of requests never reaches this loop.
  // The loop renders only when a request found the served copy stale (at most every METRICS_FRESH_MS).
  let port: number | null = null;
  let worker: Worker | null = null;
  if (cfg.listen) {
    const listen = cfg.listen;
    worker = startWorker("./adapters/metrics-worker.ts", new URL("./metrics-worker.ts", import.meta.url));
    const send = (m: ToMetrics) => worker?.postMessage(m);
    worker.onmessage = (e: MessageEvent<FromMetrics>) => {
      const m = e.data;
      if (m.op === "stale") send({ op: "text", text: render() });
      else if (m.op === "listening") {
        port = m.port;
        d.log("info", "prometheus: serving metrics", { url: `http://${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${m.port}/metrics` });
      } else trouble.failed(`listening on ${listen.host}:${listen.port}`, m.error); // monitoring goes on without the port: said once, loudly
    };
    send({ op: "listen", host: listen.host, port: listen.port });
  }
  writeTextfile();
  const timer = cfg.textfile ? setInterval(writeTextfile, cfg.intervalMs) : null;

  return {
    name: "prometheus",
    get port() {
      return port;
    },
    render,
    event(ev) {
      events++;
      if (ev.event === "recover" && ev.level in recoveries) recoveries[ev.level as Level]++;
      else if (ev.event === "quarantined") quarantines++;
      else if (ev.event === "monitor-degraded") starved++;
    },
    verdict(v) {
      node = v;
    },
    async stop() {
      if (timer) clearInterval(timer);
      writeTextfile(); // the last word: final counters
      worker?.terminate();
    },
  };
}
