/**
 * The component's side of beacons (docs/protocol.md §6.1): every registered
 * component listens on `<dir of the monitor socket>/beacons/<name>.sock`; a
 * new monitor connects and closes; a component touched while it has no
 * monitor reconnects at once, to the socket it was configured with (a beacon
 * never names one, so it cannot redirect a component). The monitor's side
 * (the directory, touching every beacon) is src/discovery/beacon.ts.
 */
import { lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { probeSocket } from "../transport/unix.ts";

const SUFFIX = ".sock";
/** A live beacon of the same name must answer within this long to be left alone. */
export const BECKON_TIMEOUT_MS = 500;

export function beaconDir(socket: string): string {
  return join(dirname(socket), "beacons");
}

export function beaconPath(socket: string, name: string): string {
  return join(beaconDir(socket), `${name}${SUFFIX}`);
}

export const BEACON_SUFFIX = SUFFIX;

export interface Beacon {
  readonly path: string;
  close(): void;
}

/**
 * Listens on the component's beacon; `onBeckon` runs for every touch. Returns
 * null (and the caller relies on its backoff alone) when the directory is
 * not writable or a live beacon of that name exists (another instance).
 */
export async function listenBeacon(socket: string, name: string, onBeckon: () => void): Promise<Beacon | null> {
  const path = beaconPath(socket, name);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    if (isSocket(path)) {
      if ((await probeSocket(path, BECKON_TIMEOUT_MS)) !== "dead") return null; // someone else listens on it
      unlinkSync(path);
    }
    const old = process.umask(0o117); // 0660
    let server: ReturnType<typeof Bun.listen>;
    try {
      server = Bun.listen({
        unix: path,
        socket: {
          open(s) {
            s.end();
            onBeckon();
          },
          data() {},
          error() {},
        },
      });
    } finally {
      process.umask(old);
    }
    return {
      path,
      close() {
        server.stop(true);
        try {
          if (isSocket(path)) unlinkSync(path);
        } catch {
          /* already gone */
        }
      },
    };
  } catch {
    return null;
  }
}

/** Whether `path` is a UNIX socket file (lstat: a symlink is not). */
export function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}
