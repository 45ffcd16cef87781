/**
 * FRR under its own supervisor, as Debian starts it: `frrinit.sh start NAME`
 * runs watchfrr with the pathspace NAME (`-N NAME`: /etc/frr/NAME,
 * /var/run/frr/NAME) in a network namespace of the same name (`--netns` in
 * the daemons file), supervising zebra and staticd with its defaults (poll
 * 5 s, unresponsive after 90 s) or with `-t S`. For bench:frr's side-by-side
 * with hamon: the same table, the same command, who restarts zebra.
 */
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProbe } from "../../src/probes/connect.ts";
import { parseProbe } from "../../src/config/probe-spec.ts";

const DAEMONS = ["bgpd", "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "ldpd", "nhrpd", "eigrpd", "babeld", "sharpd", "pbrd", "bfdd", "fabricd", "vrrpd", "pathd"];

function sh(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

export interface WatchfrrLab {
  readonly name: string;
  zebraPid(): number;
  /** One vty request to zebra ("show version"); null when it answered within `ms`. */
  vty(ms?: number): Promise<string | null>;
  addKernelRoutes(n: number): void;
  vtysh(cmd: string, timeoutS?: number): string;
  heavyShow(): Promise<void>;
  stop(): void;
}

/** `timeoutS`: watchfrr's -t (unresponsive after); null: its default (90 s), as Debian ships it. */
export function startWatchfrrLab(name: string, timeoutS: number | null = null): WatchfrrLab {
  const etc = join("/etc/frr", name);
  const run = join("/var/run/frr", name);
  mkdirSync(etc, { recursive: true });
  const frr = { uid: Number(sh(["id", "-u", "frr"]).trim()), gid: Number(sh(["id", "-g", "frr"]).trim()) };
  const files: Record<string, string> = {
    daemons: `zebra=yes\nstaticd=yes\n${DAEMONS.map((d) => `${d}=no`).join("\n")}\nvtysh_enable=yes\nzebra_options="  -A 127.0.0.1 -s 90000000"\nstaticd_options="-A 127.0.0.1"\nwatchfrr_options="--netns${timeoutS === null ? "" : ` -t ${timeoutS}`}"\n`,
    "zebra.conf": `hostname ${name}\n`, "staticd.conf": `hostname ${name}\n`, "vtysh.conf": "",
  };
  for (const [f, text] of Object.entries(files)) {
    writeFileSync(join(etc, f), text, { mode: 0o640 });
    chownSync(join(etc, f), frr.uid, frr.gid);
  }
  chownSync(etc, frr.uid, frr.gid);
  sh(["timeout", "60", "/usr/lib/frr/frrinit.sh", "start", name]);
  const lab: WatchfrrLab = {
    name,
    zebraPid() {
      try {
        return Number(readFileSync(join(run, "zebra.pid"), "utf8").trim()) || 0;
      } catch {
        return 0;
      }
    },
    vty: (ms = 300) => runProbe(parseProbe(`unix:${join(run, "zebra.vty")}`), ms, { send: "show version\0", expect: "FRRouting" }),
    addKernelRoutes(n) {
      sh(["ip", "-n", name, "link", "set", "lo", "up"]);
      sh(["ip", "-n", name, "link", "add", "wv0", "type", "veth", "peer", "name", "wv1"]);
      for (const l of ["wv0", "wv1"]) sh(["ip", "-n", name, "link", "set", l, "up"]);
      sh(["ip", "-n", name, "addr", "add", "10.200.0.1/24", "dev", "wv0"]);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) lines.push(`route add 20.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32 via 10.200.0.2 proto static`);
      const batch = join("/tmp", `${name}.routes`);
      writeFileSync(batch, `${lines.join("\n")}\n`);
      sh(["ip", "-n", name, "-batch", batch]);
      rmSync(batch, { force: true });
    },
    vtysh(cmd, timeoutS = 5) {
      const r = Bun.spawnSync(["timeout", String(timeoutS), "vtysh", "-N", name, "-c", cmd], { stdout: "pipe", stderr: "pipe" });
      return `${r.stdout.toString()}${r.stderr.toString()}`;
    },
    async heavyShow() {
      await Bun.spawn(["vtysh", "-N", name, "-c", "show ip route json"], { stdout: "ignore", stderr: "ignore" }).exited;
    },
    stop() {
      Bun.spawnSync(["timeout", "60", "/usr/lib/frr/frrinit.sh", "stop", name], { stdout: "ignore", stderr: "ignore" });
      // Whatever is left (a stopped daemon watchfrr could not end): gone, with the namespace and the files.
      for (const pid of Bun.spawnSync(["ip", "netns", "pids", name], { stdout: "pipe" }).stdout.toString().split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          /* gone */
        }
      }
      Bun.spawnSync(["pkill", "-KILL", "-f", `-N ${name} `]);
      Bun.spawnSync(["ip", "netns", "del", name]);
      rmSync(etc, { recursive: true, force: true });
    },
  };
  return lab;
}
