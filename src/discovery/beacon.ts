/**
 * Beacons, the monitor's side: how a new monitor reaches components actively
 * instead of waiting for each one's reconnect backoff to expire (the
 * component's side, listenBeacon, is src/library/beacon.ts).
 *
 * Every registered component listens on `<dir of the monitor socket>/beacons/<name>.sock`.
 * The protocol is the connection itself: a monitor that has just started
 * connects to every beacon and closes; a component whose beacon is touched
 * while it has no monitor reconnects at once, to the socket it was configured
 * with (never to one the caller names, so a beacon cannot redirect it). A C
 * component implements it with socket/bind/listen and one more fd in its poll
 * set (docs/protocol.md §Discovery).
 *
 * The monitor also learns from the directory which components exist, so it
 * can wait for them during the re-registration window even when its journal
 * is gone. A beacon nobody listens on (its component died) is removed.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { COMPONENT_NAME_RE } from "../protocol/limits.ts";
import { connectProbe } from "../sys/libc.ts";
import { BEACON_SUFFIX, beaconDir, beaconPath, isSocket } from "../library/beacon.ts";

const SUFFIX = BEACON_SUFFIX;
export { beaconDir, beaconPath };

/**
 * The monitor's side: the beacon directory, group-writable (the socket's
 * group) and sticky, so a component running as its own user can listen there
 * while no one can remove or replace another's beacon. What a group member
 * may plant is harmless: a beacon is only touched and awaited when its owner
 * may register that name (`beckonAll`), and touching one sends nothing.
 * A directory someone else created is left as it is.
 */
export function prepareBeaconDir(socket: string, gid: number | null): void {
  const dir = beaconDir(socket);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) return;
  if (gid !== null) chownSync(dir, -1, gid);
  chmodSync(dir, 0o1770);
}

export interface BeckonResult {
  /** Components whose beacon accepted: alive, and now reconnecting. */
  readonly answered: string[];
  /** Beacons nobody listened on, removed. */
  readonly removed: string[];
}

/** Most beacon files looked at: a directory stuffed with beacons cannot make a new monitor await without bound. */
export const MAX_BEACONS = 4096;

/**
 * Touches every beacon in the directory of `socket` (in parallel).
 * `allowed(name, ownerUid, ownerGid)`: whether the owner of a beacon file may
 * register that name (the monitor asks its policy); other beacons are left
 * alone, neither touched nor awaited, so a planted beacon cannot make the
 * monitor wait for (and then report missing) a component it would refuse.
 */
export async function beckonAll(socket: string, allowed: (name: string, uid: number, gid: number) => boolean = () => true): Promise<BeckonResult> {
  const dir = beaconDir(socket);
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, MAX_BEACONS);
  } catch {
    return { answered: [], removed: [] };
  }
  const answered: string[] = [];
  const removed: string[] = [];
  await Promise.all(
    names.map(async (file) => {
      if (!file.endsWith(SUFFIX)) return;
      const name = file.slice(0, -SUFFIX.length);
      const path = join(dir, file);
      if (!COMPONENT_NAME_RE.test(name) || !isSocket(path)) return; // not ours: never touch it
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st || !allowed(name, st.uid, st.gid)) return;
      // Stale means nobody listens (ECONNREFUSED), not "the acceptor closed at once" (protocol.md §6.1).
      const r = connectProbe(path);
      if (r === "alive") answered.push(name);
      else if (r === "dead") {
        try {
          unlinkSync(path);
          removed.push(name);
        } catch {
          /* raced with its owner */
        }
      }
    }),
  );
  return { answered: answered.sort(), removed: removed.sort() };
}
