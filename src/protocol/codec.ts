/**
 * Message codec: `Message` ⇄ XML text. Pure; the framing layer turns text into
 * bytes. Decoding never throws: it returns a union, with the request id when
 * one could be read, so the monitor can correlate its error reply.
 *
 * @example
 *   encode({ type: "ok", id: 3 })          // '<ok id="3"/>'
 *   decode('<ok id="3"/>')                 // { ok: true, msg: { type: "ok", id: 3 } }
 */
import { HamonError, type ErrorCode } from "./errors.ts";
import { escapeXml as x, parseXml, type XmlElement } from "./xml.ts";
import { MAX_FRAME_BYTES } from "./limits.ts";
import { known, name, names, oneOf, reqId, str, uint } from "./attrs.ts";
import {
  CHECK_MODES, CHECK_STATUS_MODES, HEALTH, KINDS, LEVELS, PLANES, QUERY_KINDS, ROLES, VERBS,
  type CheckSpec, type CheckStatus, type ComponentCounters, type ComponentStatus, type CoreStatus, type RecentEvent, type Message, type MessageOf, type MessageType, type MonitorInfo,
} from "./messages.ts";

export type DecodeResult =
  | { ok: true; msg: Message }
  | { ok: false; code: ErrorCode; message: string; id: number };

/** Most <check> children in one register, most <component> children in one result. */
export const MAX_CHECKS = 32;
/** `show`: most <decision> children of a component, most <sample> children of a check. */
export const MAX_RECENT = 16;
export const SAMPLES_SHOWN = 5;
export const MAX_RESULT_COMPONENTS = 4000;
/** Most <core> children under one <component> (keeps a result well inside one 64 KiB frame). */
export const MAX_RESULT_CORES = 256;

type Decoder = (el: XmlElement) => Message;

const DECODERS: { [T in MessageType]: Decoder } = {
  hello: (e) => ({ type: "hello", version: uint(e, "version"), minVersion: uint(e, "min-version", uint(e, "version")), role: oneOf(e, "role", ROLES), agent: str(e, "agent", "") }),
  welcome: (e) => ({ type: "welcome", version: uint(e, "version"), server: str(e, "server", "") }),
  register: (e) => ({
    type: "register", id: reqId(e), name: name(e, "name"), kind: oneOf(e, "kind", KINDS),
    plane: oneOf(e, "plane", PLANES), pid: uint(e, "pid", 0), checks: children(e, "check", MAX_CHECKS).map(check),
    ...(e.attrs.actions ? { actions: names(e, "actions") } : {}),
  }),
  deregister: (e) => ({ type: "deregister", id: reqId(e), reason: str(e, "reason", "") }),
  report: (e) => ({ type: "report", health: oneOf(e, "health", HEALTH), reason: str(e, "reason", "") }),
  confirm: (e) => ({ type: "confirm", check: name(e, "check"), result: oneOf(e, "result", HEALTH, "ok"), reason: str(e, "reason", "") }),
  "error-report": (e) => ({ type: "error-report", level: oneOf(e, "level", LEVELS), reason: str(e, "reason", "") }),
  query: (e) => ({ type: "query", id: reqId(e), kind: oneOf(e, "kind", QUERY_KINDS), check: str(e, "check", ""), action: str(e, "action", "") }),
  reply: (e) => ({ type: "reply", id: reqId(e), health: oneOf(e, "health", HEALTH), detail: text(e) }),
  command: (e) => ({ type: "command", id: reqId(e), verb: known(e, "verb", VERBS), target: name(e, "target", ""), kind: str(e, "kind", "") }),
  result: (e) => {
    const m = children(e, "monitor", 1)[0];
    const more = e.attrs.more === undefined ? {} : { more: oneOf(e, "more", ["0", "1"] as const) === "1" };
    return { type: "result", id: reqId(e), monitor: m ? monitorInfo(m) : null, components: children(e, "component", MAX_RESULT_COMPONENTS).map(componentStatus), detail: str(e, "detail", ""), ...more };
  },
  subscribe: (e) => ({ type: "subscribe", id: reqId(e), ...(e.attrs.since === undefined ? {} : { since: uint(e, "since") }) }),
  event: (e) => ({
    type: "event", seq: uint(e, "seq"), time: uint(e, "time"), component: name(e, "component", ""), event: str(e, "event"),
    level: str(e, "level", ""), reason: str(e, "reason", ""),
  }),
  ok: (e) => ({ type: "ok", id: reqId(e) }),
  error: (e) => ({ type: "error", id: uint(e, "id", 0), code: str(e, "code"), message: str(e, "message", "") }),
};

/** Decodes one XML document into a message. */
export function decode(xml: string): DecodeResult {
  const parsed = parseXml(xml);
  if (!parsed.ok) return { ok: false, code: "E_MALFORMED", message: parsed.error, id: 0 };
  const el = parsed.el;
  const id = /^[1-9][0-9]{0,15}$/.test(el.attrs.id ?? "") ? Number(el.attrs.id) : 0;
  const decoder = Object.hasOwn(DECODERS, el.name) ? DECODERS[el.name as MessageType] : undefined;
  if (!decoder) return { ok: false, code: "E_UNKNOWN", message: `unknown message <${el.name}>`, id };
  try {
    return { ok: true, msg: decoder(el) };
  } catch (e) {
    if (e instanceof HamonError) return { ok: false, code: e.code, message: e.message, id };
    throw e;
  }
}

function children(e: XmlElement, childName: string, max: number): XmlElement[] {
  const list = e.children.filter((c) => c.name === childName);
  if (list.length > max) throw new HamonError("E_INVALID", `<${e.name}> has more than ${max} <${childName}> children`);
  return list;
}

function text(e: XmlElement): string {
  if (e.text.length > 16_384) throw new HamonError("E_INVALID", `<${e.name}> text is longer than 16384 characters`);
  return e.text;
}

const check = (c: XmlElement): CheckSpec => ({ name: name(c, "name"), mode: oneOf(c, "mode", CHECK_MODES), periodMs: uint(c, "period-ms"), timeoutMs: uint(c, "timeout-ms", 0) });
const NODE_HEALTHS = ["green", "yellow", "red"] as const;
const monitorInfo = (m: XmlElement): MonitorInfo => ({
  pid: uint(m, "pid"), version: str(m, "version", ""), uptimeMs: uint(m, "uptime-ms", 0),
  ...(m.attrs.node === undefined ? {} : { node: { health: oneOf(m, "node", NODE_HEALTHS), penalty: uint(m, "penalty", 0), reason: str(m, "node-reason", "") } }),
  ...(m.attrs["events-lost"] === undefined ? {} : { persistence: { eventsLost: uint(m, "events-lost"), journalFailures: uint(m, "journal-failures", 0), failing: str(m, "persist-failing", "") } }),
  ...(m.attrs["state-dir"] === undefined ? {} : { stateDir: str(m, "state-dir", "") }),
});
const componentStatus = (c: XmlElement): ComponentStatus => ({
  name: name(c, "name"), kind: oneOf(c, "kind", KINDS), plane: oneOf(c, "plane", PLANES), state: str(c, "state"),
  health: oneOf(c, "health", HEALTH), reason: str(c, "reason", ""), pid: uint(c, "pid", 0),
  ageMs: c.attrs["age-ms"] === undefined ? -1 : uint(c, "age-ms"), restarts: uint(c, "restarts", 0),
  ...(c.children.length ? componentDetail(c) : {}),
});
/** The children of a `show` component, each kind only when present (status rows stay flat). */
function componentDetail(c: XmlElement): Pick<ComponentStatus, "cores" | "counters" | "checks" | "recent"> {
  const counters = children(c, "counters", 1)[0];
  const checks = children(c, "check", MAX_CHECKS * 2);
  const recent = children(c, "decision", MAX_RECENT);
  const cores = children(c, "core", MAX_RESULT_CORES);
  return {
    ...(counters ? { counters: componentCounters(counters) } : {}),
    ...(checks.length ? { checks: checks.map(checkStatus) } : {}),
    ...(recent.length ? { recent: recent.map(recentEvent) } : {}),
    ...(cores.length ? { cores: cores.map(coreStatus) } : {}),
  };
}
const flag = (e: XmlElement, attr: string): boolean => oneOf(e, attr, ["0", "1"] as const, "0") === "1";
const componentCounters = (c: XmlElement): ComponentCounters => ({
  registrations: uint(c, "registrations", 0), restarts: uint(c, "restarts", 0), collateral: uint(c, "collateral", 0), failures: uint(c, "failures", 0), recoveries: uint(c, "recoveries", 0),
  graceMs: uint(c, "grace-ms", 0), quarantined: flag(c, "quarantined"), next: str(c, "next", ""),
  ...(c.attrs.registers === "0" ? { registers: false } : {}),
});
const checkStatus = (c: XmlElement): CheckStatus => ({
  name: name(c, "name"), mode: oneOf(c, "mode", CHECK_STATUS_MODES), periodMs: uint(c, "period-ms", 0), failed: flag(c, "failed"),
  samples: children(c, "sample", SAMPLES_SHOWN).map((x) => ({ agoMs: uint(x, "ago-ms", 0), ok: flag(x, "ok"), reason: str(x, "reason", "") })),
});
const recentEvent = (e: XmlElement): RecentEvent => ({ seq: uint(e, "seq"), time: uint(e, "time"), event: str(e, "event"), level: str(e, "level", ""), reason: str(e, "reason", "") });
const coreStatus = (c: XmlElement): CoreStatus => ({
  slot: uint(c, "slot"), lcore: uint(c, "lcore", 0), name: str(c, "name", ""), state: str(c, "state"), verdict: str(c, "verdict"), ageMs: uint(c, "age-ms", 0),
});

/** Encodes a message as one XML document (no declaration, no trailing newline). */
export function encode(m: Message): string {
  switch (m.type) {
    case "hello": return `<hello version="${m.version}" min-version="${m.minVersion}" role="${m.role}" agent="${x(m.agent)}"/>`;
    case "welcome": return `<welcome version="${m.version}" server="${x(m.server)}"/>`;
    case "register": {
      const cs = m.checks.map((c) => `<check name="${x(c.name)}" mode="${c.mode}" period-ms="${c.periodMs}" timeout-ms="${c.timeoutMs}"/>`).join("");
      const acts = m.actions?.length ? ` actions="${x(m.actions.join(" "))}"` : "";
      const head = `<register id="${m.id}" name="${x(m.name)}" kind="${m.kind}" plane="${m.plane}" pid="${m.pid}"${acts}`;
      return cs === "" ? `${head}/>` : `${head}>${cs}</register>`;
    }
    case "deregister": return `<deregister id="${m.id}" reason="${x(m.reason)}"/>`;
    case "report": return `<report health="${m.health}" reason="${x(m.reason)}"/>`;
    case "confirm": return `<confirm check="${x(m.check)}" result="${m.result}" reason="${x(m.reason)}"/>`;
    case "error-report": return `<error-report level="${m.level}" reason="${x(m.reason)}"/>`;
    case "query": return `<query id="${m.id}" kind="${m.kind}" check="${x(m.check)}" action="${x(m.action)}"/>`;
    case "reply": return `<reply id="${m.id}" health="${m.health}">${x(m.detail)}</reply>`;
    case "command": return `<command id="${m.id}" verb="${m.verb}" target="${x(m.target)}" kind="${x(m.kind)}"/>`;
    case "result": {
      const n = m.monitor?.node;
      const node = n ? ` node="${n.health}" penalty="${n.penalty}" node-reason="${x(n.reason)}"` : "";
      const p = m.monitor?.persistence;
      const persist = p ? ` events-lost="${p.eventsLost}" journal-failures="${p.journalFailures}" persist-failing="${x(p.failing)}"` : "";
      const mon = m.monitor ? `<monitor pid="${m.monitor.pid}" version="${x(m.monitor.version)}" uptime-ms="${m.monitor.uptimeMs}"${node}${persist}${m.monitor.stateDir ? ` state-dir="${x(m.monitor.stateDir)}"` : ""}/>` : "";
      const comps = m.components.map(encodeComponent).join("");
      return `<result id="${m.id}" detail="${x(m.detail)}"${m.more ? ` more="1"` : ""}>${mon}${comps}</result>`;
    }
    case "subscribe": return `<subscribe id="${m.id}"${m.since === undefined ? "" : ` since="${m.since}"`}/>`;
    case "event":
      return `<event seq="${m.seq}" time="${m.time}" component="${x(m.component)}" event="${x(m.event)}" level="${x(m.level)}" reason="${x(m.reason)}"/>`;
    case "ok": return `<ok id="${m.id}"/>`;
    case "error": return `<error id="${m.id}" code="${x(m.code)}" message="${x(m.message)}"/>`;
  }
}

/** Room kept in a frame for the <result> and <monitor> elements around the components. */
const RESULT_ENVELOPE_BYTES = 4096;

/**
 * Splits a result into frames that each fit `maxBytes`: components are packed
 * in order; every frame but the last says `more`. A single component too large
 * for a frame (a `show` with long texts) loses its samples, then its recent
 * events, then its cores, until it fits.
 */
export function resultFrames(m: MessageOf<"result">, maxBytes = MAX_FRAME_BYTES): MessageOf<"result">[] {
  const room = maxBytes - RESULT_ENVELOPE_BYTES - Buffer.byteLength(x(m.detail));
  const frames: MessageOf<"result">[] = [];
  let batch: ComponentStatus[] = [];
  let used = 0;
  for (let c of m.components) {
    let n = Buffer.byteLength(encodeComponent(c));
    if (n > room) {
      c = shrink(c, room);
      n = Buffer.byteLength(encodeComponent(c));
    }
    if (used + n > room && batch.length > 0) {
      frames.push({ ...m, components: batch, more: true });
      batch = [];
      used = 0;
    }
    batch.push(c);
    used += n;
  }
  frames.push({ ...m, components: batch });
  return frames;
}

function shrink(c: ComponentStatus, room: number): ComponentStatus {
  const steps: ((c: ComponentStatus) => ComponentStatus)[] = [
    (c) => ({ ...c, ...(c.checks ? { checks: c.checks.map((k) => ({ ...k, samples: [] })) } : {}) }),
    ({ recent: _r, ...c }) => c,
    ({ cores: _k, ...c }) => c,
    ({ checks: _c, ...c }) => c,
    (c) => ({ ...c, reason: c.reason.slice(0, 256) }),
  ];
  for (const step of steps) {
    c = step(c);
    if (Buffer.byteLength(encodeComponent(c)) <= room) break;
  }
  return c;
}

function encodeComponent(c: ComponentStatus): string {
  const age = c.ageMs >= 0 ? ` age-ms="${c.ageMs}"` : "";
  const head = `<component name="${x(c.name)}" kind="${c.kind}" plane="${c.plane}" state="${x(c.state)}" health="${c.health}" reason="${x(c.reason)}" pid="${c.pid}"${age} restarts="${c.restarts}"`;
  if (!c.cores?.length && !c.counters && !c.checks?.length && !c.recent?.length) return `${head}/>`;
  const n = c.counters;
  const counters = n
    ? `<counters registrations="${n.registrations}" restarts="${n.restarts}" collateral="${n.collateral}" failures="${n.failures}" recoveries="${n.recoveries}" grace-ms="${n.graceMs}" quarantined="${n.quarantined ? 1 : 0}" next="${x(n.next)}"${n.registers === false ? ` registers="0"` : ""}/>`
    : "";
  const checks = (c.checks ?? []).map((k) => {
    const samples = k.samples.map((s) => `<sample ago-ms="${s.agoMs}" ok="${s.ok ? 1 : 0}" reason="${x(s.reason)}"/>`).join("");
    const h = `<check name="${x(k.name)}" mode="${k.mode}" period-ms="${k.periodMs}" failed="${k.failed ? 1 : 0}"`;
    return samples ? `${h}>${samples}</check>` : `${h}/>`;
  }).join("");
  const recent = (c.recent ?? []).map((e) => `<decision seq="${e.seq}" time="${e.time}" event="${x(e.event)}" level="${x(e.level)}" reason="${x(e.reason)}"/>`).join("");
  const cores = (c.cores ?? []).map((k) => `<core slot="${k.slot}" lcore="${k.lcore}" name="${x(k.name)}" state="${x(k.state)}" verdict="${x(k.verdict)}" age-ms="${k.ageMs}"/>`).join("");
  return `${head}>${counters}${checks}${recent}${cores}</component>`;
}
