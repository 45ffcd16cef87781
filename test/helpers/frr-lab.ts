/**
 * Debian's FRR (zebra, bgpd, ospfd, staticd) owned by a real hamon monitor,
 * in a network namespace of its own so the host's routes are untouched. The
 * monitor's configuration is the shipped docs/examples/frr.toml with this
 * lab's directory in place of /etc/frr and /var/run/frr, so what is tested is
 * what users copy.
 */
import { chownSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProbe } from "../../src/probes/connect.ts";
import { parseProbe } from "../../src/config/probe-spec.ts";
import { startWatched, type Watched } from "./watched.ts";
import { MAIN } from "./monitor-proc.ts";

const ROOT = join(import.meta.dir, "..", "..");
export const FRR_TOML = join(ROOT, "docs", "examples", "frr.toml");
export const FRR_DAEMONS = ["zebra", "bgpd", "ospfd", "staticd"] as const;
export type FrrDaemon = (typeof FRR_DAEMONS)[number];
const FRR_LIB = "/usr/lib/frr";

/** Why the lab cannot run here, or null. */
export function frrUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, FRR drops to the frr user)";
  if (!existsSync(`${FRR_LIB}/zebra`)) return "FRR is not installed (Debian package frr; .ci/run installs it)";
  if (Bun.spawnSync(["ip", "netns", "list"]).exitCode !== 0) return "ip netns does not work here";
  return null;
}

function sh(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Per-daemon configuration: a BGP instance, an OSPF area, a static route zebra must carry. */
const CONF: Record<FrrDaemon, string> = {
  zebra: "hostname lab\n",
  bgpd: "hostname lab\nrouter bgp 65001\n bgp router-id 10.255.0.1\n",
  ospfd: "hostname lab\nrouter ospf\n ospf router-id 10.255.0.1\n",
  staticd: "hostname lab\nip route 10.99.0.0/24 blackhole\n",
};

export interface FrrLab {
  ns: string;
  dir: string;
  /** The frr.toml the monitor runs (substituted). */
  config: string;
  mon: Watched | null;
  vtySocket(d: FrrDaemon): string;
  /** One vty request ("show version"), as vtysh frames it; null when it answered within `ms`, else why not. */
  vty(d: FrrDaemon, ms?: number): Promise<string | null>;
  /** Resolves with the ms from `since` (performance.now()) until the daemon's vty answers; rejects after `ms`. */
  untilAnswering(d: FrrDaemon, since: number, ms?: number): Promise<number>;
  /** A vtysh command against this lab's daemons, with a deadline (vtysh hangs while a daemon is stopped). */
  vtysh(cmd: string): string;
  pidOf(d: FrrDaemon): number;
  /** Puts `n` /32 routes in the namespace's kernel table (zebra learns each): the full table that makes zebra busy. */
  addKernelRoutes(n: number): void;
  /** Starts `show ip route json` on zebra (seconds of its CPU over a full table, its vty silent meanwhile); resolves when it is done. */
  heavyShow(): Promise<void>;
  /** `hamon`: the argv that runs hamon (default: from source; the benchmark passes the compiled binary). */
  startMonitor(extraToml?: string, hamon?: string[]): Promise<Watched>;
  stop(): Promise<void>;
}

export function newFrrLab(): FrrLab {
  const ns = `hamon-frr-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "hamon-frr-"));
  // FRR drops to frr:frr after start: its pid files, vty sockets and config reads happen as frr.
  const frr = { uid: Number(sh(["id", "-u", "frr"]).trim()), gid: Number(sh(["id", "-g", "frr"]).trim()) };
  chownSync(dir, frr.uid, frr.gid);
  for (const d of FRR_DAEMONS) {
    writeFileSync(join(dir, `${d}.conf`), CONF[d], { mode: 0o640 });
    chownSync(join(dir, `${d}.conf`), frr.uid, frr.gid);
  }
  const config = join(dir, "hamon.toml");
  writeFileSync(config, readFileSync(FRR_TOML, "utf8").replaceAll("/etc/frr", dir).replaceAll("/var/run/frr", dir));
  sh(["ip", "netns", "add", ns]);
  sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  const vtySocket = (d: FrrDaemon) => join(dir, `${d}.vty`);
  const lab: FrrLab = {
    ns, dir, config, mon: null, vtySocket,
    vty: (d, ms = 300) => runProbe(parseProbe(`unix:${vtySocket(d)}`), ms, { send: "show version\0", expect: "FRRouting" }),
    async untilAnswering(d, since, ms = 30_000) {
      while (performance.now() - since < ms) {
        if ((await lab.vty(d, 200)) === null) return performance.now() - since;
        await Bun.sleep(2);
      }
      throw new Error(`${d}'s vty did not answer within ${ms} ms`);
    },
    vtysh(cmd) {
      const r = Bun.spawnSync(["timeout", "5", "vtysh", "--vty_socket", dir, "-c", cmd], { stdout: "pipe", stderr: "pipe" });
      return `${r.stdout.toString()}${r.stderr.toString()}`;
    },
    addKernelRoutes(n) {
      sh(["ip", "-n", ns, "link", "add", "hv0", "type", "veth", "peer", "name", "hv1"]);
      for (const l of ["hv0", "hv1"]) sh(["ip", "-n", ns, "link", "set", l, "up"]);
      sh(["ip", "-n", ns, "addr", "add", "10.200.0.1/24", "dev", "hv0"]);
      const batch = join(dir, "routes.batch");
      const lines: string[] = [];
      for (let i = 0; i < n; i++) lines.push(`route add 20.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 via 10.200.0.2 proto static`);
      writeFileSync(batch, `${lines.join("\n")}\n`);
      sh(["ip", "-n", ns, "-batch", batch]);
    },
    async heavyShow() {
      const p = Bun.spawn(["vtysh", "--vty_socket", dir, "-c", "show ip route json"], { stdout: "ignore", stderr: "ignore" });
      await p.exited;
    },
    pidOf(d) {
      try {
        return Number(readFileSync(join(dir, `${d}.pid`), "utf8").trim()) || 0;
      } catch {
        return 0;
      }
    },
    async startMonitor(extraToml = "", hamon = [process.execPath, MAIN]) {
      const toml = `${extraToml}\n${readFileSync(config, "utf8")}`;
      // The socket in a directory of root's own: FRR's runtime directory belongs to frr, which hamon (StrictModes) refuses.
      lab.mon = await startWatched(toml, join(dir, "state"), join(mkdtempSync(join(tmpdir(), "hamon-frrsock-")), "hamon.sock"), undefined, ["ip", "netns", "exec", ns, ...hamon]);
      return lab.mon;
    },
    async stop() {
      await lab.mon?.close();
      lab.mon = null;
      // Whatever is left in the namespace (a daemon SIGSTOPped and left by a failed test): gone.
      for (const pid of sh(["ip", "netns", "pids", ns]).split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
          process.kill(Number(pid), "SIGCONT");
        } catch {
          /* already gone */
        }
      }
      Bun.spawnSync(["ip", "netns", "del", ns]);
    },
  };
  return lab;
}
