#!/usr/bin/env bun
/**
 * hamon: one binary, modes chosen by the first word. Commands load lazily so
 * `hamon status` does not pay for the monitor's modules.
 */
import { defineCommand, type ArgsDef, type CommandDef } from "citty";
import { runCli } from "./cli/run.ts";
import { err, out } from "./cli/out.ts";
import { VERSION } from "./version.ts";

type Loader = () => Promise<CommandDef<ArgsDef>>;
const load = (p: Promise<{ default: unknown }>) => p.then((m) => m.default as CommandDef<ArgsDef>);
const control = (k: "restart" | "activate" | "deactivate" | "query" | "stop" | "start" | "reload") => import("./commands/control.ts").then((m) => m[k] as unknown as CommandDef<ArgsDef>);

const subs: Record<string, Loader> = {
  monitor: () => load(import("./commands/monitor.ts")),
  status: () => load(import("./commands/status.ts")),
  list: () => load(import("./commands/list.ts")),
  show: () => load(import("./commands/show.ts")),
  check: () => load(import("./commands/check.ts")),
  events: () => load(import("./commands/events.ts")),
  logs: () => load(import("./commands/logs.ts")),
  component: () => load(import("./commands/component.ts")),
  discovery: () => load(import("./commands/discovery.ts")),
  heartbeat: () => load(import("./commands/heartbeat.ts")),
  ocf: () => load(import("./commands/ocf.ts")),
  top: () => load(import("./commands/top.ts")),
  restart: () => control("restart"),
  activate: () => control("activate"),
  deactivate: () => control("deactivate"),
  stop: () => control("stop"),
  start: () => control("start"),
  reload: () => control("reload"),
  query: () => control("query"),
  "demo-component": () => load(import("./commands/demo-component.ts")),
  "demo-fastpath": () => load(import("./commands/demo-fastpath.ts")),
};

const root = defineCommand({
  meta: { name: "hamon", version: VERSION, description: "Health monitor for high-availability packet-processing appliances" },
  subCommands: Object.fromEntries(Object.entries(subs).map(([k, v]) => [k, v])),
});

const code = await runCli(root, subs, process.argv.slice(2), { out, err, tty: process.stdout.isTTY === true }, VERSION);
process.exit(code);
