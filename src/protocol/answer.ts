/**
 * The `query` verb relays a component's reply as the result's `detail`:
 * "HEALTH: DETAIL" (docs/protocol.md §6). One place writes it (the monitor's
 * verbs) and reads it back (the `query` command, the OCF agent's audits).
 */
import { HEALTH, type Health } from "./messages.ts";

export function formatAnswer(health: Health, detail: string): string {
  return `${health}: ${detail}`;
}

/** A detail that does not carry a health (an older monitor, a garbled relay) reads as failed. */
export function parseAnswer(s: string): { health: Health; detail: string } {
  const colon = s.indexOf(": ");
  const h = colon > 0 ? s.slice(0, colon) : "";
  return (HEALTH as readonly string[]).includes(h) ? { health: h as Health, detail: s.slice(colon + 2) } : { health: "failed", detail: s };
}
