/**
 * The `query` verb relays a component's reply as the result's `detail`:
 * "HEALTH: DETAIL" (docs/protocol.md §6). One place writes it (the monitor's
 * verbs) and reads it back (the `query` command, the OCF agent's audits).
 */
import { MAX_TEXT_CHARS } from "./attrs.ts";
import { HEALTH, type Health } from "./messages.ts";

/** "HEALTH: DETAIL", cut to the protocol's text limit at a character boundary (a 4,096-character detail still relays). */
export function formatAnswer(health: Health, detail: string): string {
  return cutText(`${health}: ${detail}`, MAX_TEXT_CHARS);
}

/**
 * `s` cut to at most `max` UTF-16 units (how the protocol counts a text's
 * characters), never inside a surrogate pair: the cut text is valid Unicode.
 */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = max > 0 && (s.charCodeAt(max - 1) & 0xfc00) === 0xd800 ? max - 1 : max; // a high surrogate left alone
  return s.slice(0, end);
}

/** A detail that does not carry a health (an older monitor, a garbled relay) reads as failed. */
export function parseAnswer(s: string): { health: Health; detail: string } {
  const colon = s.indexOf(": ");
  const h = colon > 0 ? s.slice(0, colon) : "";
  return (HEALTH as readonly string[]).includes(h) ? { health: h as Health, detail: s.slice(colon + 2) } : { health: "failed", detail: s };
}
