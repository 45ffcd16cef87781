/** [node], [keepalived], [pacemaker], [prometheus]: defaults, enabling, every error naming its key. */
import { expect, test } from "bun:test";
import { parseConfig } from "../../src/config/config.ts";
import { DEFAULT_INTEGRATIONS } from "../../src/config/integrations.ts";

const integrations = (toml: string) => {
  const r = parseConfig(toml);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.config.integrations;
};
const errors = (toml: string) => {
  const r = parseConfig(toml);
  return r.ok ? [] : r.errors;
};

test("without the tables no adapter runs", () => {
  expect(integrations("")).toEqual(DEFAULT_INTEGRATIONS);
});

test("each table enables its adapter, with defaults; enabled = false turns it off", () => {
  const i = integrations('[keepalived]\ndir = "/run/hamon/keepalived"\n[pacemaker]\n[prometheus]\nlisten = "127.0.0.1:9464"\n[node]\ndegraded_penalty = 5\n');
  expect(i.keepalived).toEqual({ dir: "/run/hamon/keepalived", onMonitorExit: "fault" });
  expect(i.pacemaker).toEqual({ attribute: "#health-hamon", attrdUpdater: "attrd_updater", dampeningS: 5, value: "colour", onReboot: "hook", standbyTimeoutS: 120 });
  expect(i.prometheus).toEqual({ textfile: null, intervalMs: 5_000, listen: { host: "127.0.0.1", port: 9464 } });
  expect(i.node.degradedPenalty).toBe(5);
  expect(integrations('[pacemaker]\nenabled = false\n').pacemaker).toBeNull();
  expect(integrations('[prometheus]\nlisten = "[::1]:9100"\n').prometheus?.listen).toEqual({ host: "::1", port: 9100 });
});

test.each([
  ["[keepalived]\n", "keepalived.dir: is required"],
  ['[keepalived]\ndir = "run/rel"\n', "keepalived.dir: must match"],
  ['[keepalived]\ndir = "/run/x"\non_monitor_exit = "panic"\n', 'keepalived.on_monitor_exit: must be one of fault, keep, got "panic"'],
  ['[keepalived]\ndir = "/run/x"\nfile = "/x"\n', "keepalived.file: unknown key"],
  ["[prometheus]\n", "prometheus: give textfile"],
  ['[prometheus]\ntextfile = "/var/lib/node_exporter/hamon.txt"\n', "prometheus.textfile: must match"],
  ['[prometheus]\nlisten = "9464"\n', "prometheus.listen: must match"],
  ['[prometheus]\nlisten = "127.0.0.1:70000"\n', "prometheus.listen: port must be in 1..65535"],
  ['[prometheus]\nlisten = "127.0.0.1:9464"\ninterval_ms = 10\n', "prometheus.interval_ms: must be an integer in 100..3600000"],
  ['[pacemaker]\nattribute = "#health hamon"\n', "pacemaker.attribute: must match"],
  ['[pacemaker]\nattrd_updater = "attrd_updater; reboot"\n', "pacemaker.attrd_updater: must match"],
  ["[node]\ndegraded_penalty = 254\n", "node.degraded_penalty: must be an integer in 0..253"],
])("%j → %s", (toml, msg) => {
  expect(errors(toml).join("\n")).toContain(msg);
});
