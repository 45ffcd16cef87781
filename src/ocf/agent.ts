/**
 * The OCF resource agent's actions (`hamon ocf ACTION`, called by the shell
 * wrapper docs/ocf/hamon that Pacemaker runs). Parameters come from the
 * environment (OCF_RESKEY_config, _socket, _state_dir; OCF_CHECK_LEVEL;
 * OCF_RESKEY_CRM_meta_timeout). start runs the monitor detached (it outlives
 * the agent, like `discovery --once` starts it); stop sends SIGTERM to the
 * lock holder and waits, then SIGKILL; monitor is codes.ts over what it sees.
 */
import { existsSync } from "node:fs";
import { daemonArgv, daemonOptions, type DaemonArgValues } from "../cli/daemon.ts";
import { startAndWait } from "../discovery/once.ts";
import { answers, lockState, stopHolder } from "../discovery/ping.ts";
import { Session } from "../library/session.ts";
import type { Logger } from "../log.ts";
import type { Health } from "../protocol/messages.ts";
import { metadata } from "./metadata.ts";
import { parseAnswer } from "../protocol/answer.ts";
import { monitorCode, OCF } from "./codes.ts";

export const OCF_ACTIONS = ["start", "stop", "monitor", "status", "validate-all", "meta-data", "usage", "help"] as const;

export interface AgentIo {
  env: Record<string, string | undefined>;
  out(s: string): void;
  log: Logger;
}

/** Pacemaker's timeout for this action (ms), minus a margin to answer in time. */
function budgetMs(env: AgentIo["env"], fallback: number): number {
  const t = Number(env.OCF_RESKEY_CRM_meta_timeout);
  return Number.isFinite(t) && t > 0 ? Math.max(1_000, t - 2_000) : fallback;
}

/** What meta-data advertises as the `config` default (Pacemaker passes no OCF_RESKEY_ for a parameter left at its default). */
export const DEFAULT_CONFIG = "/etc/hamon/hamon.toml";

/**
 * The configuration file the agent runs with: the parameter when set (an
 * empty value: the built-in default, no file), else the advertised default
 * when that file exists on this node, else none (the built-in default).
 */
export function configOf(env: Readonly<Record<string, string | undefined>>, exists: (path: string) => boolean): string {
  const v = env.OCF_RESKEY_config;
  if (v !== undefined) return v;
  return exists(DEFAULT_CONFIG) ? DEFAULT_CONFIG : "";
}

export async function runAgent(action: string, io: AgentIo): Promise<number> {
  const env = io.env;
  switch (action) {
    case "meta-data":
      io.out(metadata());
      return OCF.SUCCESS;
    case "usage": case "help":
      io.out(`usage: hamon ocf {${OCF_ACTIONS.join("|")}}\n`);
      return OCF.SUCCESS;
  }
  const config = configOf(env, existsSync);
  if (config && !existsSync(config)) {
    io.log("error", "ocf: configuration file not found", { config });
    // A missing file on this node: not installed here (hard, move elsewhere); stop/monitor still answer truthfully.
    if (action === "validate-all" || action === "start") return OCF.ERR_INSTALLED;
  }
  const args: DaemonArgValues = {};
  if (config && existsSync(config)) args.config = config;
  if (env.OCF_RESKEY_socket) args.socket = env.OCF_RESKEY_socket;
  if (env.OCF_RESKEY_state_dir) args["state-dir"] = env.OCF_RESKEY_state_dir;
  const opts = daemonOptions(args, io.log);
  if (!opts) return OCF.ERR_CONFIGURED; // the configuration does not validate: fatal in Pacemaker's terms
  const socket = opts.socketPath;
  switch (action) {
    case "validate-all": return OCF.SUCCESS;
    case "start": {
      if (await answers(socket, 2_000)) return OCF.SUCCESS;
      const r = await startAndWait(socket, daemonArgv(args, socket), budgetMs(env, 18_000));
      if (r.kind === "started" || r.kind === "running") return OCF.SUCCESS;
      io.log("error", "ocf start failed", { why: r.kind === "failed" ? r.reason : r.kind });
      return OCF.ERR_GENERIC;
    }
    case "stop": return stop(socket, budgetMs(env, 18_000), io);
    case "monitor": case "status": {
      const level = Number(env.OCF_CHECK_LEVEL ?? 0) || 0;
      const obs = await observe(socket, level);
      const r = monitorCode(obs, level);
      if (r.code !== OCF.SUCCESS && r.code !== OCF.NOT_RUNNING) io.log(r.code === OCF.DEGRADED ? "warn" : "error", "ocf monitor", { level, code: r.code, why: r.why });
      return r.code;
    }
    default: return OCF.ERR_UNIMPLEMENTED;
  }
}

async function stop(socket: string, budget: number, io: AgentIo): Promise<number> {
  const { holder } = lockState(socket);
  if (!holder) return OCF.SUCCESS; // not running: stopping is done
  // The one escalation (process/stop.ts): SIGTERM and SIGCONT, SIGKILL 2 s before Pacemaker's own deadline.
  const termMs = Math.max(1_000, budget - 2_000);
  const ok = await stopHolder(socket, holder, termMs, 2_000);
  if (!ok) io.log("error", "ocf stop: the monitor is still running after SIGKILL", { pid: holder.pid });
  return ok ? OCF.SUCCESS : OCF.ERR_GENERIC;
}

async function observe(socket: string, level: number) {
  let s: Session;
  try {
    s = await Session.open(socket, { role: "client", timeoutMs: 5_000, agent: "hamon-ocf" });
  } catch {
    return { answers: false, locked: lockState(socket).locked };
  }
  try {
    const r = await s.request({ type: "command", id: s.nextId(), verb: "status", target: "", kind: "" }, 10_000);
    if (r.type !== "result") return { answers: false, locked: true };
    const node = r.monitor?.node?.health ?? null;
    if (level < 20) return { answers: true, locked: true, node };
    // Every connected component audits itself (in parallel, on this one connection); silence is a failed audit.
    const targets = r.components.filter((c) => c.state === "up" && c.plane !== "fast");
    const audits = await Promise.all(targets.map(async (c) => {
      try {
        const a = await s.request({ type: "command", id: s.nextId(), verb: "query", target: c.name, kind: "audit" }, 10_000);
        if (a.type === "result") return { name: c.name, ...parseAnswer(a.detail) };
        return { name: c.name, health: "failed" as Health, detail: a.type === "error" ? a.message : `<${a.type}>` };
      } catch (e) {
        return { name: c.name, health: "failed" as Health, detail: (e as Error).message };
      }
    }));
    return { answers: true, locked: true, node, audits };
  } catch {
    return { answers: false, locked: lockState(socket).locked };
  } finally {
    s.close();
  }
}
