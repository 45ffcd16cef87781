/**
 * Golden files for render/, as runit's `sv.check` + `sv.dist`: each view of
 * one fixed model is rendered and compared byte for byte with
 * test/render/golden/NAME.dist. A change to what an operator sees is a diff
 * of a .dist file in review, not a surprise. `UPDATE_GOLDEN=1 bun test
 * test/render/golden.test.ts` rewrites them (then read the diff).
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ComponentStatus, CoreStatus, MonitorInfo } from "../../src/protocol/messages.ts";
import { renderCheck } from "../../src/render/check.ts";
import { renderCores } from "../../src/render/cores.ts";
import { renderEvent } from "../../src/render/events.ts";
import { renderOnce } from "../../src/render/once.ts";
import { renderShow } from "../../src/render/show.ts";
import { renderList, renderStatusJson, renderStatusPlain, renderStatusTable } from "../../src/render/status.ts";
import { renderTop } from "../../src/render/top.ts";

const DIR = join(import.meta.dir, "golden");

const monitor: MonitorInfo = { pid: 4242, version: "0.1.0+test", uptimeMs: 3_723_000, node: { health: "yellow", penalty: 20, reason: "bgpd degraded: neighbour 10.0.0.2 flapping" }, persistence: { eventsLost: 0, journalFailures: 0, failing: "" } };
const cores: CoreStatus[] = [
  { slot: 0, lcore: 1, name: "fwd0", state: "running", verdict: "ok", ageMs: 1 },
  { slot: 1, lcore: 2, name: "fwd1", state: "running", verdict: "dead", ageMs: 740 },
  { slot: 2, lcore: 3, name: "rx-路由", state: "idle", verdict: "ok", ageMs: 12 },
];
const components: ComponentStatus[] = [
  { name: "zebra", kind: "static", plane: "control", state: "up", health: "ok", reason: "", pid: 1201, ageMs: 120, restarts: 0 },
  { name: "bgpd", kind: "static", plane: "control", state: "up", health: "degraded", reason: "neighbour 10.0.0.2 flapping", pid: 1202, ageMs: 950, restarts: 2 },
  { name: "ospfd", kind: "dynamic", plane: "control", state: "inactive", health: "ok", reason: "not activated", pid: 0, ageMs: -1, restarts: 0 },
  { name: "nginx", kind: "static", plane: "system", state: "down", health: "failed", reason: "process 2201 exited with status 1\u001b[2J", pid: 0, ageMs: 61_000, restarts: 5 },
  { name: "dataplane", kind: "static", plane: "fast", state: "up", health: "failed", reason: "core slot 1 (fwd1, lcore 2): no beat for 250 ms (dead)", pid: 900, ageMs: 5, restarts: 1, cores },
];

/** Each view, by the name of its .dist file. */
const VIEWS: [string, () => string][] = [
  ["status.table", () => renderStatusTable({ monitor, components })],
  ["status.tsv", () => renderStatusPlain({ monitor, components })],
  ["status.json", () => renderStatusJson({ monitor, components })],
  ["list", () => renderList({ monitor, components })],
  ["show.dataplane", () => renderShow(components[4]!, monitor)],
  ["check", () => renderCheck(components).line],
  ["cores", () => renderCores(cores)],
  ["events", () => [
    { seq: 7, time: Date.UTC(2026, 11, 6, 3, 0, 0), component: "nginx", event: "exited", level: "", reason: "process 2201 exited with status 1" },
    { seq: 8, time: Date.UTC(2026, 11, 6, 3, 0, 1), component: "nginx", event: "recover", level: "restart-daemon", reason: "process 2201 exited (failure 1 in window)" },
  ].flatMap((e) => [renderEvent(e, false), renderEvent(e, true)]).join("")],
  ["once", () => [renderOnce({ kind: "started", pid: 42, ms: 180 }), renderOnce({ kind: "hung", pid: 41, why: "monitor pid 41 holds the lock but has not answered" })].map((r) => `${r.code}\n${r.out}${r.err}`).join("--\n")],
  ["top.80x24", () => renderTop({ monitor, components, cores: new Map([["dataplane", cores]]), events: [{ time: Date.UTC(2026, 11, 6, 3, 0, 1), component: "nginx", event: "recover", level: "restart-daemon", reason: "process 2201 exited" }], readAtMs: 0, connection: "" }, { cols: 80, rows: 24 }, 0).join("\n") + "\n"],
];

test.each(VIEWS)("%s renders as its .dist file says", (name, render) => {
  const path = join(DIR, `${name}.dist`);
  const got = render();
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, got);
  expect(existsSync(path)).toBe(true); // a missing .dist is a failure, not a file written quietly
  expect(got).toBe(readFileSync(path, "utf8"));
});
