/**
 * Pacemaker: the node verdict's colour as a transient health node attribute
 * (`#health-hamon` = green | yellow | red) through attrd_updater, with
 * dampening (`--delay`) so a flap does not reach the CIB. The cluster's
 * node-health-strategy decides what a colour does (migrate-on-red,
 * only-green, progressive: docs/integrations.md).
 *
 * With `value = "score"`, yellow is sent as -penalty instead (an integer that
 * the progressive and custom strategies add to node-health-base), so a node
 * with more trouble scores lower than one with less.
 *
 * A pending reboot-system may first put the node in standby (transient: the
 * reboot clears it) and wait for the cluster to settle, or ask the cluster to
 * fence it (`terminate`), before the [levels] hook runs (`on_reboot`).
 *
 * attrd_updater is looked up once, when the monitor starts; without it (not a
 * cluster node) the adapter says so once and stays idle. Calls never overlap:
 * while one runs, only the latest value waits for the next.
 */
import type { PacemakerConfig } from "../config/integrations.ts";
import type { NodeVerdict } from "../engine/node.ts";
import { dirname, join } from "node:path";
import { runWithDeadline, type RunResult } from "../process/run.ts";
import { TroubleOnce, type Adapter, type AdapterDeps } from "./adapter.ts";

/** attrd_updater is killed after this (it can hang while the cluster is forming). */
export const ATTRD_TIMEOUT_MS = 10_000;
/** After a failed call, the wanted colour is tried again this much later. */
export const ATTRD_RETRY_MS = 5_000;

/** The attribute's value for a verdict (pure): the colour, or with `value = "score"` yellow as -penalty. */
export function attrValue(cfg: PacemakerConfig, v: Pick<NodeVerdict, "health" | "penalty">): string {
  if (cfg.value === "score" && v.health === "yellow") return String(-Math.max(1, v.penalty));
  return v.health;
}

/** The argv that sets the attribute to `value` (pure). `=` keeps a negative score from reading as an option. */
export function attrdArgv(bin: string, cfg: PacemakerConfig, value: string): string[] {
  return [bin, "--name", cfg.attribute, `--update-both=${value}`, `--delay=${cfg.dampeningS}s`];
}

/** The last words of a failed tool run, for an event. */
function failure(r: RunResult): string | null {
  if (!r.exit) return r.startError ?? "could not start";
  if (r.exit.code === 0) return null;
  return `${r.exit.how}: ${r.stderr.trim().split("\n")[0] ?? ""}`;
}

export function pacemakerAdapter(cfg: PacemakerConfig, d: AdapterDeps): Adapter {
  const bin = cfg.attrdUpdater.startsWith("/") ? cfg.attrdUpdater : Bun.which(cfg.attrdUpdater);
  if (!bin) d.log("warn", "pacemaker: attrd_updater not found: the health attribute will not be set", { attrd_updater: cfg.attrdUpdater });
  // crm_resource (a standby waits for the cluster to settle): beside attrd_updater, else in PATH.
  const crmResource = cfg.onReboot !== "standby" || !bin ? null : (Bun.which("crm_resource", { PATH: dirname(bin) }) ?? Bun.which("crm_resource"));
  if (bin && cfg.onReboot === "standby" && !crmResource) d.log("warn", "pacemaker: crm_resource not found: a standby before reboot will not wait for the cluster to settle", { looked_in: join(dirname(bin), "crm_resource") });
  const trouble = new TroubleOnce(d, "pacemaker");
  let running: Promise<void> | null = null;
  let wanted: string | null = null;
  let sent: string | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const run = async (value: string): Promise<void> => {
    const r = await runWithDeadline(attrdArgv(bin!, cfg, value), { timeoutMs: ATTRD_TIMEOUT_MS, capture: true });
    const bad = failure(r);
    if (bad) return trouble.failed(`setting ${cfg.attribute}=${value}`, bad);
    sent = value;
    trouble.ok("attrd_updater");
    d.log("info", "pacemaker: health attribute set", { attribute: cfg.attribute, value });
  };
  const pump = (): void => {
    if (running || wanted === null || wanted === sent) return;
    const v = wanted;
    running = run(v).finally(() => {
      running = null;
      if (sent === v || wanted !== v) return pump();
      retry ??= setTimeout(() => {
        retry = null;
        pump();
      }, ATTRD_RETRY_MS);
    });
  };
  /** Sets a transient node attribute at once (no dampening): standby, terminate. */
  const setNow = async (name: string, value: string): Promise<string | null> =>
    failure(await runWithDeadline([bin!, "--name", name, `--update=${value}`], { timeoutMs: ATTRD_TIMEOUT_MS, capture: true }));

  return {
    name: "pacemaker",
    verdict(v) {
      if (!bin) return;
      wanted = attrValue(cfg, v);
      pump();
    },
    async beforeReboot(component) {
      if (!bin || cfg.onReboot === "hook") return;
      const level = "reboot-system";
      if (cfg.onReboot === "terminate") {
        const bad = await setNow("terminate", "true");
        if (bad) return trouble.failed("setting terminate=true", bad);
        d.emit({ component, event: "cluster-terminate", level, reason: "terminate=true set on this node: the cluster fences it (with stonith-enabled and a fence device)" });
        return;
      }
      const t0 = performance.now();
      const bad = await setNow("standby", "on");
      if (bad) return trouble.failed("setting standby=on", bad);
      let settled = "crm_resource not found: not waited for";
      if (crmResource) {
        const w = await runWithDeadline([crmResource, "--wait", `--timeout=${cfg.standbyTimeoutS}s`], { timeoutMs: cfg.standbyTimeoutS * 1_000 + ATTRD_TIMEOUT_MS, capture: true });
        const why = failure(w);
        settled = why ? `the cluster did not settle (crm_resource --wait: ${why})` : "the cluster settled";
      }
      d.emit({ component, event: "cluster-standby", level, reason: `node in standby (transient: the reboot clears it); ${settled} after ${Math.round(performance.now() - t0)} ms` });
    },
    async stop() {
      if (retry) clearTimeout(retry);
      wanted = null;
      await running;
    },
  };
}
