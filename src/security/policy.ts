/**
 * The authorization policy, pure: given who the peer is (SO_PEERCRED, or
 * null when the platform cannot tell) and what it asks, allow or say why not.
 * Built once from the configuration with names resolved to ids
 * (`resolvePolicy`, which fails on an unknown name); consulted for every
 * registration and command by the dispatcher, for every recommendation by the
 * core. Root and the monitor's own user may do everything.
 */
import type { MonitorConfig } from "../config/config.ts";
import type { Verb } from "../protocol/messages.ts";
import type { PeerCred } from "../sys/peercred.ts";

export interface Principals {
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
}

export interface Policy {
  readonly selfUid: number;
  readonly control: Principals;
  /** null: whoever can connect may read. */
  readonly read: Principals | null;
  /** null: whoever can connect may register an undeclared component. */
  readonly register: Principals | null;
  readonly allowUndeclared: boolean;
  /** Declared components: name → the uid that alone (with root) may register it, or null for any. */
  readonly declared: ReadonlyMap<string, number | null>;
}

/** The verbs that change things; the others only read. */
export const CONTROL_VERBS: ReadonlySet<Verb> = new Set<Verb>(["restart", "activate", "deactivate", "query", "stop", "start", "reload"]);

const NONE: Principals = { uids: new Set(), gids: new Set() };

/** Everything allowed (tests of the dispatcher alone, or a monitor without policy). */
export const OPEN_POLICY: Policy = { selfUid: -1, control: NONE, read: null, register: null, allowUndeclared: true, declared: new Map() };

export function resolvePolicy(c: MonitorConfig, selfUid: number, uidOf: (n: string) => number | null, gidOf: (n: string) => number | null, nofileHard = Infinity): { ok: true; policy: Policy } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const ids = (names: string[], of: (n: string) => number | null, what: string) =>
    new Set(names.map((n) => of(n) ?? (errors.push(`${what} '${n}' does not exist`), -1)).filter((x) => x >= 0));
  const s = c.security;
  const control = { uids: ids(s.controlUsers, uidOf, "security.control_users: user"), gids: ids(s.controlGroups, gidOf, "security.control_groups: group") };
  const read = s.readGroups.length ? { uids: new Set<number>(), gids: ids(s.readGroups, gidOf, "security.read_groups: group") } : null;
  const register = s.componentGroups.length ? { uids: new Set<number>(), gids: ids(s.componentGroups, gidOf, "security.component_groups: group") } : null;
  const declared = new Map<string, number | null>();
  for (const comp of c.components) declared.set(comp.name, comp.user === null ? null : uidOf(comp.user) ?? (errors.push(`component ${comp.name}: user '${comp.user}' does not exist`), -1));
  for (const comp of c.components) if (comp.group !== null && gidOf(comp.group) === null) errors.push(`component ${comp.name}: group '${comp.group}' does not exist`);
  // A daemon run as a user sets its limit itself (prlimit execs as that user): it cannot go above the hard limit.
  for (const comp of c.components) {
    if (comp.user !== null && comp.nofile !== null && comp.nofile > nofileHard) errors.push(`component ${comp.name}: nofile ${comp.nofile} is above the hard limit ${nofileHard}, which a daemon run as '${comp.user}' cannot raise (raise the monitor's hard limit, or lower nofile)`);
  }
  for (const fp of c.fastpaths) declared.set(fp.name, null);
  if (s.socketGroup !== null && gidOf(s.socketGroup) === null) errors.push(`security.socket_group: group '${s.socketGroup}' does not exist`);
  return errors.length ? { ok: false, errors } : { ok: true, policy: { selfUid, control, read, register, allowUndeclared: s.allowUndeclared, declared } };
}

const privileged = (p: Policy, c: PeerCred) => c.uid === 0 || c.uid === p.selfUid;
const member = (who: Principals, c: PeerCred) => who.uids.has(c.uid) || c.groups.some((g) => who.gids.has(g));

/** null = allowed; else why not (for the error reply, the event and the log). */
export function mayUseVerb(p: Policy, c: PeerCred | null, verb: Verb): string | null {
  if (p === OPEN_POLICY) return null;
  const control = CONTROL_VERBS.has(verb);
  if (!c) return control || p.read ? `'${verb}' needs a known peer identity and this platform did not provide one` : null;
  if (privileged(p, c) || member(p.control, c)) return null;
  if (control) return `'${verb}' is a control verb: uid ${c.uid} is not in security.control_users/control_groups`;
  if (p.read && !member(p.read, c)) return `uid ${c.uid} is not in security.read_groups`;
  return null;
}

export function mayRegister(p: Policy, c: PeerCred | null, name: string): string | null {
  if (p === OPEN_POLICY) return null;
  if (p.declared.has(name)) {
    const want = p.declared.get(name)!;
    if (want === null) return null;
    if (!c) return `'${name}' is declared with a user and this platform did not provide the peer's identity`;
    return c.uid === want || privileged(p, c) ? null : `'${name}' may only be registered by uid ${want} (or root); peer is uid ${c.uid}`;
  }
  if (!p.allowUndeclared) return `'${name}' is not declared and security.allow_undeclared is false`;
  if (p.register && !(c && (privileged(p, c) || member(p.register, c)))) return `uid ${c?.uid ?? "?"} is not in security.component_groups`;
  return null;
}
