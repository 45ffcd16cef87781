/**
 * A real `hamon monitor --config` process with an event subscriber attached,
 * for monitor-mode tests: write a TOML config, start, watch the event stream,
 * send commands.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../../src/library/session.ts";
import { HamonError } from "../../src/protocol/errors.ts";
import type { Message, MessageOf, Verb } from "../../src/protocol/messages.ts";
import { MAIN, startMonitor, type MonitorProc } from "./monitor-proc.ts";
import { until } from "./wait.ts";

export type Ev = MessageOf<"event">;

export interface Watched extends MonitorProc {
  events: Ev[];
  stateDir: string;
  /** The configuration file it runs with (rewrite it, then reload). */
  configPath: string;
  /** Resolves with the first event (from index `from`) matching. */
  waitEvent(match: (e: Ev) => boolean, what: string, from?: number, ms?: number): Promise<Ev>;
  cmd(verb: Verb, target?: string, kind?: string): Promise<Message>;
  close(): Promise<number>;
}

/** argv (TOML array) of a demo component named `name`, run from source. */
export function demoArgv(name: string, behave = "steady"): string {
  return JSON.stringify([process.execPath, MAIN, "demo-component", "--name", name, "--behave", behave]);
}

/** `cmd`: the argv that runs hamon (default: this Bun on the source), e.g. behind `ip netns exec NS`. */
export async function startWatched(toml: string, stateDir = mkdtempSync(join(tmpdir(), "hamon-state-")), sock?: string, env?: Record<string, string>, cmd?: string[]): Promise<Watched> {
  const cfgDir = mkdtempSync(join(tmpdir(), "hamon-cfg-"));
  const cfg = join(cfgDir, "hamon.toml");
  writeFileSync(cfg, toml);
  const m = await startMonitor(["--config", cfg, "--state-dir", stateDir, "--log-level", "debug"], cmd, sock, env);
  const events: Ev[] = [];
  const sub = await Session.open(m.sock, { role: "subscriber", onMessage: (msg) => { if (msg.type === "event") events.push(msg); } });
  // since 0: every event from the monitor's start, also those said before this subscriber could connect.
  await sub.request({ type: "subscribe", id: sub.nextId(), since: 0 });
  const describe = () => events.map((e) => `${e.component}:${e.event}(${e.reason.slice(0, 80)})`).join(" | ");
  return {
    ...m, events, stateDir, configPath: cfg,
    async waitEvent(match, what, from = 0, ms = 10_000) {
      let found: Ev | undefined;
      await until(() => (found = events.slice(from).find(match)) !== undefined, what, ms, () => `events: ${describe()}; stderr: ${m.stderr().slice(-2000)}`);
      return found!;
    },
    async cmd(verb, target = "", kind = "") {
      const s = await Session.open(m.sock, { role: "client" });
      try {
        return await s.request({ type: "command", id: s.nextId(), verb, target, kind }, 10_000);
      } catch (e) {
        if (e instanceof HamonError) return { type: "error", id: 0, code: e.code, message: e.message };
        throw e;
      } finally {
        s.close();
      }
    },
    async close() {
      sub.close();
      return m.stop();
    },
  };
}

/** The pid hamon reports for `name`. */
export async function pidOf(w: Watched, name: string): Promise<number> {
  const r = await w.cmd("show", name);
  if (r.type !== "result") throw new Error(`show ${name}: ${JSON.stringify(r)}`);
  return r.components[0]?.pid ?? 0;
}

export async function stateOf(w: Watched, name: string): Promise<string> {
  const r = await w.cmd("show", name);
  return r.type === "result" ? `${r.components[0]?.state}/${r.components[0]?.health}` : `error:${r.type === "error" ? r.code : r.type}`;
}

export { until };
