/**
 * UNIX-socket edges: listen (with stale-socket recovery and restrictive mode)
 * and dial. Everything above works on `Peer`s.
 *
 * Stale sockets: Bun never unlinks the socket file of a process that crashed,
 * and `listen` then fails with EADDRINUSE. We probe first and unlink only when
 * nobody answers (the Tailscale safesocket rule), so a second monitor never
 * steals a live monitor's path. A path that exists but is not a socket (a
 * planted regular file or symlink) is refused, never removed.
 */
import { peerCred } from "../sys/peercred.ts";
import { strictDirProblem, trustedUids } from "../sys/strict-dir.ts";
import { accessSync, chownSync, constants, existsSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import type { Socket, UnixSocketListener } from "bun";
import { HamonError } from "../protocol/errors.ts";
import { Peer, peerSocketHandlers, type PeerHandler, type PeerOptions } from "./peer.ts";

/** How long a probe waits for a connect to a path before calling it dead. */
export const PROBE_TIMEOUT_MS = 500;

/** alive: accepted; busy: a listener exists but did not accept in time (a stopped process with a full backlog); dead: refused or not a socket; absent: no file. */
export type ProbeResult = "alive" | "busy" | "dead" | "absent";

/** Is a server accepting connections on `path`? Never throws. */
export async function probeSocket(path: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  try {
    const st = lstatSync(path);
    if (!st.isSocket()) return "dead";
  } catch {
    return "absent";
  }
  let timer: Timer | undefined;
  const TIMEOUT = new Error("timeout");
  try {
    const sock = await Promise.race([
      Bun.connect({ unix: path, socket: { data() {}, open() {}, close() {}, error() {} } }),
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(TIMEOUT), timeoutMs); }),
    ]);
    sock.end();
    return "alive";
  } catch (e) {
    return e === TIMEOUT ? "busy" : "dead";
  } finally {
    clearTimeout(timer);
  }
}

export interface Listener {
  readonly path: string;
  /** Stops accepting, closes every peer, removes the socket file. */
  stop(): void;
}

export interface ListenOptions extends PeerOptions {
  /** Socket file mode; the umask is set around bind so there is no window with a wider mode. */
  mode?: number;
  /** Mode for the socket directory when we create it. */
  dirMode?: number;
  /** Group of the socket (and of its directory when we create it); null = ours. */
  group?: number | null;
}

/**
 * The socket's directory (and the lock file in it) must be one no one else
 * can write: sys/strict-dir.ts. The monitor refuses to listen elsewhere, a
 * client refuses to dial there.
 */
function checkSocketDir(dir: string): void {
  const why = strictDirProblem(dir);
  if (why) throw new HamonError("E_DENIED", `socket directory refused: ${why}`);
}

/** Listens on `path`; `accept` returns the handler for each new peer. */
export async function listenUnix(path: string, accept: (peer: Peer) => PeerHandler, opts: ListenOptions = {}): Promise<Listener> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: opts.dirMode ?? 0o750 });
  checkSocketDir(dir);
  // Our own directory (we, or the lock taken just before, created it) goes to the socket's group.
  if (opts.group != null && lstatSync(dir).uid === process.getuid?.()) chownSync(dir, -1, opts.group);
  const state = await probeSocket(path);
  if (state === "alive" || state === "busy") throw new HamonError("E_NAME_TAKEN", `another process is already listening on ${path}`);
  if (state === "dead") {
    if (!lstatSync(path).isSocket()) throw new HamonError("E_DENIED", `${path} exists and is not a socket; refusing to remove it`);
    unlinkSync(path);
  }
  const mode = opts.mode ?? 0o660;
  const old = process.umask(0o777 & ~mode);
  let server: UnixSocketListener<Peer>;
  try {
    server = Bun.listen<Peer>({
      unix: path,
      socket: {
        ...peerSocketHandlers,
        open(socket: Socket<Peer>) {
          // The handler needs the peer and the peer needs the handler: bind late.
          let handler: PeerHandler | null = null;
          const lazy: PeerHandler = {
            message: (p, m) => handler?.message(p, m),
            refused: (p, c, m) => handler?.refused?.(p, c, m),
            close: (p, r) => handler?.close(p, r),
          };
          const peer = new Peer(socket, lazy, opts);
          socket.data = peer;
          handler = accept(peer);
        },
      },
    });
  } finally {
    process.umask(old);
  }
  if (opts.group != null) {
    try {
      chownSync(path, -1, opts.group);
    } catch (e) {
      server.stop(true);
      throw new HamonError("E_DENIED", `cannot give ${path} to group ${opts.group}: ${(e as Error).message}`);
    }
  }
  return {
    path,
    stop() {
      server.stop(true);
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Bun says only "Failed to connect": name the usual causes an operator can act on. */
function whyNot(path: string, bunMessage: string): string {
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES") return "permission denied (EACCES: not in the socket's group?)";
    if (code === "ENOENT") return "no such socket (ENOENT: is the monitor running?)";
    return code ?? bunMessage;
  }
  return `${bunMessage} (ECONNREFUSED: nothing listening?)`;
}

/** Connects to `path`. Rejects with E_UNAVAILABLE when nothing listens there. */
export async function dialUnix(path: string, handler: PeerHandler, opts: PeerOptions = {}): Promise<Peer> {
  if (!existsSync(dirname(path))) throw new HamonError("E_UNAVAILABLE", `cannot connect to ${path}: no such socket (ENOENT: is the monitor running?)`);
  checkSocketDir(dirname(path));
  let peer: Peer | undefined;
  try {
    await Bun.connect<Peer>({
      unix: path,
      socket: {
        ...peerSocketHandlers,
        open(socket: Socket<Peer>) {
          peer = new Peer(socket, handler, opts);
          socket.data = peer;
        },
      },
    });
  } catch (e) {
    throw new HamonError("E_UNAVAILABLE", `cannot connect to ${path}: ${whyNot(path, (e as Error).message)}`);
  }
  if (!peer) throw new HamonError("E_UNAVAILABLE", `connection to ${path} did not open`);
  // Whoever listens must be root or ourselves (SO_PEERCRED): not a fake put in the monitor's place.
  const cred = peerCred(peer.fd);
  if (cred !== null && !trustedUids().includes(cred.uid)) {
    peer.close("untrusted peer");
    throw new HamonError("E_DENIED", `${path} is served by uid ${cred.uid}, not by root or the user hamon runs as: refusing to talk to it`);
  }
  return peer;
}
