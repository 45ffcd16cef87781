/**
 * `hamon heartbeat PATH`, rendered (pure): the exit status (0 healthy, 1 a
 * core dead, corrupt or its writer gone, 3 region invalid) and the text.
 */
import type { Inspection } from "../watchdog/inspect.ts";
import { renderCores } from "./cores.ts";

export const HEARTBEAT_EXIT = { OK: 0, UNHEALTHY: 1, INVALID: 3 } as const;

export function renderInspection(path: string, r: Inspection, json: boolean): { code: number; out: string; err: string } {
  const out = json ? `${JSON.stringify({ version: 1, ...r }, null, 2)}\n` : "";
  if (r.writerGone !== null) return { code: HEARTBEAT_EXIT.UNHEALTHY, out, err: `hamon heartbeat: ${path}: writer-gone: writer pid ${r.writerGone} is gone (its memfd went with it)\n` };
  if (r.invalid !== null) return { code: HEARTBEAT_EXIT.INVALID, out, err: `hamon heartbeat: ${path}: ${r.invalid}\n` };
  const h = r.header!;
  const text = json ? out : `${path}: ${h.slotCount} cores, writer pid ${h.writerPid}, instance ${h.instanceId}, ${r.sealed ? "sealed memfd" : "unsealed file"}\n${renderCores(r.cores)}`;
  const bad = r.cores.some((c) => c.verdict === "dead" || c.verdict === "corrupt" || c.verdict === "writer-gone");
  return { code: bad ? HEARTBEAT_EXIT.UNHEALTHY : HEARTBEAT_EXIT.OK, out: text, err: "" };
}
