/**
 * The embedded demo appliance (`hamon monitor --demo`, `npm start`): what a
 * newcomer sees in the first minute, with nothing but this binary (no C
 * compiler, no DPDK):
 * - control-plane daemons hamon spawns (this same binary in `demo-component`
 *   mode) that link the library; `flaky` fails every few seconds,
 *   alternately crashing and hanging: registrations, a crash caught at once,
 *   a hang caught by the query timeout, restarts, an escalation to
 *   restart-control-plane (3 failures within 60 s), then the fast path too
 *   and a flap quarantine (it opts into both: by default a failure climbs
 *   only its own plane's ladder and restarts go on, backing off);
 * - `syslogd`, a plain daemon (it never links the library), watched by a
 *   probe on its socket;
 * - `ospfd`, dynamic, inactive until `hamon activate ospfd`;
 * - `dataplane`, a simulated fast path hamon owns (`demo-fastpath`): four
 *   cores beating through a real heartbeat region, one of which stalls for
 *   2 s, 20 s into each life: core-suspect → core-dead → restart-control-plane-and-
 *   fast-path → the new instance attached → cores ok.
 * It is built as a configuration file would be, and validated the same way.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type MonitorConfig } from "../config/config.ts";
import { selfArgv } from "../sys/self.ts";

/** The demo's hamon.toml (`dir`: its fresh state directory, also home of its sockets and region). */
export function demoToml(dir: string, self: readonly string[] = selfArgv()): string {
  const run = (...a: string[]) => JSON.stringify([...self, ...a]);
  const daemon = (name: string, behave: string, kind = "static") => `[[component]]\nname = "${name}"\nkind = "${kind}"\nstart = ${run("demo-component", "--name", name, "--behave", behave)}\n`;
  const sock = join(dir, "syslogd.sock");
  const hb = join(dir, "dataplane.hb");
  return `[monitor]
state_dir = ${JSON.stringify(dir)}
stop_on_exit = true

${daemon("routed", "steady")}
${daemon("snmpd", "steady")}
${daemon("flaky", "flaky")}# It opts into the whole ladder (by default a failure climbs only its own plane's) and into quarantine (by default restarts go on, backing off).
ladder = [{ failures = 3, within_ms = 60000, then = "restart-control-plane" }, { failures = 5, within_ms = 300000, then = "restart-control-plane-and-fast-path" }]
quarantine = true
${daemon("ospfd", "steady", "dynamic")}
# A plain daemon: it never links the library; hamon asks it over its socket.
[[component]]
name = "syslogd"
start = ${run("demo-component", "--name", "syslogd", "--behave", "plain", "--listen", sock)}
ready = "probe"
[[component.check]]
name = "ping"
mode = "probe"
connect = ${JSON.stringify(`unix:${sock}`)}
send = "PING\\n"
expect = "PONG"
period_ms = 1000
timeout_ms = 500

[[fastpath]]
name = "dataplane"
heartbeat = ${JSON.stringify(hb)}
start = ${run("demo-fastpath", "--heartbeat", hb, "--stall-every-ms", "20000")}
# Its cores beat from a JavaScript timer, which a busy machine delays more than
# a poll loop: suspect after 150 ms (dead after 250 ms, the default, as on DPDK).
suspect_ms = 150
# The demo's stalls come every 20 s for as long as it runs: each is met by a
# restart, never escalated or quarantined (a real fast path's ladder does).
ladder = []
flap_restarts = 1000
`;
}

/** Each demo run starts fresh: its own new state dir (the demo's journal is not the product's, nor the last run's). */
export function demoConfig(): MonitorConfig {
  const r = parseConfig(demoToml(mkdtempSync(join(tmpdir(), "hamon-demo-"))));
  if (!r.ok) throw new Error(`the demo configuration is invalid: ${r.errors.join("; ")}`);
  return r.config;
}
