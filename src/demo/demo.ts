/**
 * The embedded demo appliance (`hamon monitor --demo`, `npm start`): a few
 * control-plane daemons hamon spawns (this same binary in `demo-component`
 * mode), one of which fails every few seconds, alternately crashing and
 * hanging. Within the first minute a newcomer sees registrations, a crash
 * caught at once, a hang caught by the query timeout, restarts, an
 * escalation to restart-control-plane (3 failures within 60 s) and finally a
 * flap quarantine. `ospfd` is dynamic and starts inactive: `hamon activate
 * ospfd` brings it in.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONFIG, type ComponentConfig, type MonitorConfig } from "../config/config.ts";
import { DEFAULT_POLICY } from "../engine/policy.ts";
import { selfArgv } from "../sys/self.ts";

function demo(name: string, behave: string, kind: "static" | "dynamic" = "static"): ComponentConfig {
  return {
    name, kind, plane: "control", user: null, start: [...selfArgv(), "demo-component", "--name", name, "--behave", behave], stop: null, pidfile: null,
    readyTimeoutMs: 10_000, ready: "registered", after: [], bindsTo: [], cwd: null, group: null, umask: null, nofile: null, env: {}, output: "inherit", logMaxBytes: 1_048_576, logKeep: 2, checks: [], policy: DEFAULT_POLICY,
  };
}

/** Each demo run starts fresh: its own new state dir (the demo's journal is not the product's, nor the last run's). */
export function demoConfig(): MonitorConfig {
  return {
    ...DEFAULT_CONFIG,
    stateDir: mkdtempSync(join(tmpdir(), "hamon-demo-")),
    stopOnExit: true,
    components: [demo("routed", "steady"), demo("snmpd", "steady"), demo("flaky", "flaky"), demo("ospfd", "steady", "dynamic")],
  };
}
