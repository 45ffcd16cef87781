/**
 * Prometheus: the metrics of src/adapters/metrics.ts, written to a
 * node_exporter textfile-collector file (replaced by rename every
 * `interval_ms`, so the collector never reads half a file) and/or served on
 * `listen` (GET /metrics). Event-derived counters (recoveries by level,
 * quarantines, starvation, events) are counted here from the event stream;
 * the rest is read from the monitor when a snapshot is taken.
 */
import type { PrometheusConfig } from "../config/integrations.ts";
import type { NodeVerdict } from "../engine/node.ts";
import { GREEN } from "../engine/node.ts";
import { LEVELS, type Level } from "../protocol/messages.ts";
import { writeAtomic } from "../sys/atomic.ts";
import { TroubleOnce, type Adapter, type AdapterDeps } from "./adapter.ts";
import { CONTENT_TYPE, renderMetrics, type MetricsSnapshot } from "./metrics.ts";

/** What the monitor lends the adapter (read when a snapshot is taken). */
export interface MetricsSource {
  components(): MetricsSnapshot["components"];
  fastpaths(): MetricsSnapshot["fastpaths"];
  lateness(): MetricsSnapshot["lateness"];
  persistence(): MetricsSnapshot["persistence"];
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
    renderMetrics({ version, startTimeS, components: src.components(), fastpaths: src.fastpaths(), lateness: src.lateness(), persistence: src.persistence(), node, recoveries, quarantines, starved, events });

  const writeTextfile = (): void => {
    if (!cfg.textfile) return;
    try {
      writeAtomic(cfg.textfile, render(), 0o644, { durable: false }); // rewritten every interval_ms: no disk wait on the monitor's loop
      trouble.ok("textfile");
    } catch (e) {
      trouble.failed(`writing ${cfg.textfile}`, (e as Error).message);
    }
  };

  let server: ReturnType<typeof Bun.serve> | null = null;
  if (cfg.listen) {
    try {
      server = Bun.serve({
        hostname: cfg.listen.host, port: cfg.listen.port, reusePort: false,
        fetch(req) {
          const path = new URL(req.url).pathname;
          if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
          if (path === "/metrics") return new Response(render(), { headers: { "content-type": CONTENT_TYPE } });
          if (path === "/") return new Response("hamon metrics: /metrics\n");
          return new Response("not found\n", { status: 404 });
        },
        error: (e) => new Response(`error: ${e.message}\n`, { status: 500 }),
      });
      d.log("info", "prometheus: serving metrics", { url: `http://${cfg.listen.host.includes(":") ? `[${cfg.listen.host}]` : cfg.listen.host}:${server.port}/metrics` });
    } catch (e) {
      // Monitoring goes on without the port (it is someone else's, or not allowed): said once, loudly.
      trouble.failed(`listening on ${cfg.listen.host}:${cfg.listen.port}`, (e as Error).message);
    }
  }
  writeTextfile();
  const timer = cfg.textfile ? setInterval(writeTextfile, cfg.intervalMs) : null;

  return {
    name: "prometheus",
    port: server?.port ?? null,
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
      server?.stop(true);
    },
  };
}
