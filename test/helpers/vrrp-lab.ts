/**
 * A two-node VRRP lab on one machine: network namespaces A and B joined by a
 * veth pair, a real keepalived in each (Debian's), and per node its own hamon
 * monitor and simulated fast path (hbsim). A responder in each namespace
 * answers TCP on the virtual IP with the node's name; a prober in A's
 * namespace reports who answers, with the time. keepalived's configuration is
 * docs/keepalived.conf with this lab's paths, interface and addresses
 * substituted, so the shipped snippet is what is tested.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSim, tmpPath, type Sim } from "./hbsim.ts";
import { MAIN, startMonitor, type MonitorProc } from "./monitor-proc.ts";

const ROOT = join(import.meta.dir, "..", "..");
const PROBE = join(ROOT, "test", "fixtures", "vip-probe.ts");
export const VIP = "10.77.0.100";
const PORT = 7999;

/** How a node tells keepalived: hamon's track files, or a vrrp_script polling `hamon check` every second. */
export type Driver = "track_file" | "vrrp_script";

export interface LabOptions {
  driver: Driver;
  preempt: boolean;
  /** argv prefix that runs hamon (source by default; the compiled binary in the bench). */
  hamon?: string[];
  /** Also docs/keepalived-monitor.conf: keepalived watches the monitor process itself (its argv, up to its socket). */
  trackMonitor?: boolean;
}

export interface LabNode {
  name: "A" | "B";
  ns: string;
  dir: string;
  sim: Sim;
  mon: MonitorProc;
  ka: Bun.Subprocess;
}

export interface Lab {
  a: LabNode;
  b: LabNode;
  /** (epoch ms, who) each time the answer on the VIP changed, as seen from A's namespace. */
  answers: { t: number; who: string }[];
  /** Resolves with the epoch ms of the first answer from `who` at or after `since`. */
  waitAnswer(who: string, since: number, ms?: number): Promise<number>;
  /** Which namespace has the VIP on its interface right now: "A", "B", "-" (none) or "A+B" (split brain). */
  holder(): string;
  kaLog(n: LabNode): string;
  /** Starts a new monitor on the node, with its configuration (after the old one died). */
  restartMonitor(n: LabNode): Promise<void>;
  stop(): Promise<void>;
}

function sh(argv: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** Null when the lab can run here; otherwise why not (the test says so and skips). */
export function labUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (network namespaces)";
  if (!Bun.which("keepalived")) return "keepalived is not installed (.ci/run installs Debian's package)";
  if (!Bun.which("ip")) return "iproute2 (ip) is not installed";
  const probe = `hamon-probe-${process.pid}`;
  const r = sh(["ip", "netns", "add", probe]);
  if (!r.ok) return `cannot create a network namespace: ${r.out.trim()}`;
  sh(["ip", "netns", "del", probe]);
  return null;
}

/** docs/keepalived.conf, adapted to one lab node. */
export function keepalivedConf(o: { dir: string; dev: string; priority: number; preempt: boolean; driver: Driver; checkArgv: string; trackMonitor?: string[] }): string {
  let c = readFileSync(join(ROOT, "docs", "keepalived.conf"), "utf8")
    .replaceAll("/run/hamon/keepalived", o.dir)
    .replace("interface eth1", `interface ${o.dev}`)
    .replace("priority 150", `priority ${o.priority}${o.preempt ? "" : "\n    nopreempt"}`)
    .replace("192.0.2.100/24", `${VIP}/24`);
  if (o.trackMonitor) {
    // The optional snippet, with this lab's way of running hamon as the command line to match.
    const snippet = readFileSync(join(ROOT, "docs", "keepalived-monitor.conf"), "utf8").replace("process /usr/sbin/hamon monitor", `process ${o.trackMonitor.join(" ")}`);
    c = `${snippet}\n${c.replace("    track_file {", "    track_process {\n        hamon_monitor\n    }\n    track_file {")}`;
  }
  c = `global_defs {\n    router_id ${o.dev}\n    script_user root\n}\n${c}`;
  if (o.driver === "vrrp_script") {
    // The baseline: no track files, keepalived polls a check every second (its default interval).
    c = c.replace(/track_file \{[^}]*\}\n\}/, "track_script {\n        hamon_check\n    }\n}");
    c = `vrrp_script hamon_check {\n    script "${o.checkArgv}"\n    interval 1\n    fall 1\n    rise 1\n}\n${c}`;
  }
  return c;
}

export async function startLab(o: LabOptions): Promise<Lab> {
  const tag = String(process.pid % 100_000);
  const hamon = o.hamon ?? [process.execPath, MAIN];
  const base = mkdtempSync(join(tmpdir(), "hamon-vrrp-"));
  const cleanup: (() => void | Promise<unknown>)[] = [];
  const nodes: Partial<Record<"A" | "B", LabNode>> = {};
  try {
    const ns = { A: `hamon-a-${tag}`, B: `hamon-b-${tag}` };
    const dev = { A: `hka${tag}`, B: `hkb${tag}` };
    const ip = { A: "10.77.0.1/24", B: "10.77.0.2/24" };
    for (const n of ["A", "B"] as const) {
      sh(["ip", "netns", "del", ns[n]]); // a leftover of a killed run
      if (!sh(["ip", "netns", "add", ns[n]]).ok) throw new Error(`ip netns add ${ns[n]} failed`);
      cleanup.push(() => void sh(["ip", "netns", "del", ns[n]]));
    }
    const steps = [
      ["ip", "link", "add", dev.A, "type", "veth", "peer", "name", dev.B],
      ["ip", "link", "set", dev.A, "netns", ns.A], ["ip", "link", "set", dev.B, "netns", ns.B],
      ["ip", "-n", ns.A, "addr", "add", ip.A, "dev", dev.A], ["ip", "-n", ns.B, "addr", "add", ip.B, "dev", dev.B],
      ["ip", "-n", ns.A, "link", "set", dev.A, "up"], ["ip", "-n", ns.B, "link", "set", dev.B, "up"],
      ["ip", "-n", ns.A, "link", "set", "lo", "up"], ["ip", "-n", ns.B, "link", "set", "lo", "up"],
    ];
    for (const s of steps) {
      const r = sh(s);
      if (!r.ok) throw new Error(`${s.join(" ")}: ${r.out}`);
    }
    for (const n of ["A", "B"] as const) {
      const dir = join(base, n);
      const kaDir = join(dir, "keepalived");
      mkdirSync(kaDir, { recursive: true });
      const hb = tmpPath();
      const sim = await startSim(hb, 2);
      cleanup.push(() => sim.kill());
      const cfg = join(dir, "hamon.toml");
      writeFileSync(cfg, [
        "[monitor]", "tick_ms = 5",
        "[keepalived]", `dir = "${kaDir}"`,
        "[[fastpath]]", 'name = "fp0"', `heartbeat = "${hb}"`, "suspect_ms = 40", "dead_ms = 120", "grace_ms = 0",
        // Every stall is a trial, not a flapping fast path: no escalation to reboot-system (which would keep A red).
        "ladder = []", "flap_restarts = 1000",
      ].join("\n"));
      const mon = await startMonitor(["--config", cfg], hamon);
      cleanup.push(() => (nodes[n]?.mon ?? mon).stop()); // the node's monitor of the moment (restartMonitor)
      // The baseline's check: CRITICAL (exit 2: fp0 failed) fails it; WARNING (a suspect core) does not —
      // the same threshold as hamon's own red verdict, so only push vs poll differs.
      const checkArgv = join(dir, "check-fastpath.sh");
      writeFileSync(checkArgv, `#!/bin/sh\n${[...hamon, "check", "fp0", "--socket", mon.sock].join(" ")} >/dev/null\n[ $? -lt 2 ]\n`);
      chmodSync(checkArgv, 0o755);
      const conf = join(dir, "keepalived.conf");
      // Both nodes' monitors run on this one host: the command line to match goes on to this node's socket.
      const track = o.trackMonitor ? { trackMonitor: [...hamon, "monitor", "--socket", mon.sock] } : {};
      writeFileSync(conf, keepalivedConf({ dir: kaDir, dev: dev[n], priority: n === "A" ? 150 : 100, preempt: o.preempt, driver: o.driver, checkArgv, ...track }));
      const log = join(dir, "keepalived.log");
      const ka = Bun.spawn(["keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp", "--no-syslog", "--namespace", ns[n], "--use-file", conf,
        "--pid", join(dir, "ka.pid"), "--vrrp_pid", join(dir, "vrrp.pid")], { stdout: Bun.file(log), stderr: Bun.file(log), stdin: "ignore" });
      cleanup.push(async () => {
        ka.kill("SIGTERM");
        await Promise.race([ka.exited, Bun.sleep(3_000)]);
        ka.kill("SIGKILL");
      });
      nodes[n] = { name: n, ns: ns[n], dir, sim, mon, ka };
      const srv = Bun.spawn(["ip", "netns", "exec", ns[n], process.execPath, PROBE, "serve", n, String(PORT)], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
      cleanup.push(() => srv.kill("SIGKILL"));
      await firstLine(srv.stdout);
    }
    const answers: { t: number; who: string }[] = [];
    const prober = Bun.spawn(["ip", "netns", "exec", ns.A, process.execPath, PROBE, "probe", VIP, String(PORT)], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
    cleanup.push(() => prober.kill("SIGKILL"));
    void (async () => {
      let buf = "";
      const dec = new TextDecoder();
      for await (const chunk of prober.stdout) {
        buf += dec.decode(chunk, { stream: true });
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const [t, who] = buf.slice(0, nl).split(" ");
          buf = buf.slice(nl + 1);
          if (who) answers.push({ t: Number(t), who });
        }
      }
    })();
    const a = nodes.A!;
    const b = nodes.B!;
    return {
      a, b, answers,
      async waitAnswer(who, since, ms = 15_000) {
        const end = Date.now() + ms;
        for (;;) {
          // The answer in force at `since`, or the first change to `who` after it.
          const hit = answers.find((x, i) => x.who === who && (x.t >= since || (answers[i + 1]?.t ?? Infinity) > since));
          if (hit) return Math.max(hit.t, since);
          if (Date.now() > end) throw new Error(`no answer from ${who} on ${VIP} within ${ms} ms; answers: ${answers.slice(-8).map((x) => `${x.t}:${x.who}`).join(" ")}`);
          await Bun.sleep(5);
        }
      },
      holder() {
        const has = [a, b].filter((n) => sh(["ip", "-n", n.ns, "-br", "addr"]).out.includes(`${VIP}/`)).map((n) => n.name);
        return has.length ? has.join("+") : "-";
      },
      kaLog: (n) => readFileSync(join(n.dir, "keepalived.log"), "utf8"),
      async restartMonitor(n) {
        n.mon = await startMonitor(["--config", join(n.dir, "hamon.toml")], hamon, n.mon.sock);
      },
      async stop() {
        for (const c of cleanup.reverse()) await c();
      },
    };
  } catch (e) {
    for (const c of cleanup.reverse()) await c();
    throw e;
  }
}

async function firstLine(s: ReadableStream<Uint8Array>): Promise<string> {
  const r = s.getReader();
  const { value } = await r.read();
  r.releaseLock();
  return new TextDecoder().decode(value ?? new Uint8Array()).trim();
}
