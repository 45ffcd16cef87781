/**
 * A real one-node Pacemaker cluster (Debian's corosync 3 + pacemaker 2.1)
 * in a private state that leaves nothing behind: corosync runs in its own
 * mount and network namespaces (`unshare -mn`), where tmpfs hides the host's
 * /var/lib/pacemaker, /var/lib/corosync, logs, /run and /dev/shm, and
 * corosync's IPC (libqb's abstract sockets) is private to that network
 * namespace. pacemakerd and every cluster tool (crm_mon, attrd_updater, the
 * monitor under test) join those namespaces with nsenter. When the last
 * process leaves, the namespaces and all their state are gone.
 *
 * Start-up is kept short: the CIB is seeded before pacemakerd starts with
 * stonith-enabled=false, dc-deadtime=2s (the default 20 s is most of a
 * cold start) and the caller's options, so a DC is elected in about 5 s
 * instead of 22.
 *
 * OCF agents the test brings (`agents`: provider → { type → file }) appear
 * under /usr/lib/ocf/resource.d/PROVIDER inside the namespace only.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "./wait.ts";

export const NODE = "node1";

/** Why a cluster cannot run here, or null. */
export function clusterUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (namespaces, corosync)";
  for (const [bin, pkg] of [["corosync", "corosync"], ["pacemakerd", "pacemaker"], ["crm_mon", "pacemaker-cli-utils"], ["unshare", "util-linux"], ["nsenter", "util-linux"], ["ip", "iproute2"]]) {
    if (!Bun.which(bin!, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` })) return `${bin} not found (Debian package ${pkg}; .ci/run installs it)`;
  }
  return null;
}

export interface RunResult { code: number; out: string; err: string }

export interface Cluster {
  /** corosync's pid: the namespaces' anchor. */
  readonly pid: number;
  readonly dir: string;
  /** Prefix an argv with this to run it inside the cluster's namespaces. */
  readonly enter: string[];
  run(argv: string[], env?: Record<string, string>): RunResult;
  /** Is `resource` running (crm_resource --locate)? */
  running(resource: string): boolean;
  /** A transient node attribute's value, or null (attrd_updater --query). */
  attr(name: string): string | null;
  /** pacemaker's and corosync's logs, for failure messages. */
  logs(): string;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** cluster properties (crm_config) set before pacemakerd starts. */
  options?: Record<string, string>;
  /** <primitive> elements for the resources section. */
  resources?: string;
  /** OCF agents: provider → type → file to install. */
  agents?: Record<string, Record<string, string>>;
}

const COROSYNC_CONF = `totem {
	version: 2
	cluster_name: hamon-test
	crypto_cipher: none
	crypto_hash: none
}
logging {
	to_stderr: yes
	to_logfile: no
	to_syslog: no
	timestamp: on
}
quorum {
	provider: corosync_votequorum
}
nodelist {
	node {
		name: ${NODE}
		nodeid: 1
		ring0_addr: 127.0.0.1
	}
}
`;

function cib(options: Record<string, string>, resources: string): string {
  const props = Object.entries({ "stonith-enabled": "false", "dc-deadtime": "2s", ...options })
    .map(([k, v]) => `        <nvpair id="opt-${k}" name="${k}" value="${v}"/>`).join("\n");
  return `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
${props}
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>${resources}</resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
}

/** The shell run as the namespaces' first process: private state, then corosync in the foreground. */
function inner(dir: string, providers: string[]): string {
  const ra = "/usr/lib/ocf/resource.d";
  return `set -e
ip link set lo up
# The host's resource agents stay as they are (their relative links too); the test's providers are
# laid over them (a read-only overlay), here only.
${providers.length ? `mount -t overlay overlay -o lowerdir=${dir}/agents:${ra} ${ra}` : ""}
for d in /var/lib/pacemaker /var/lib/corosync /var/log/pacemaker /var/log/corosync /run /dev/shm; do mount -t tmpfs -o mode=0755 tmpfs $d; done
chmod 1777 /dev/shm
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox /var/lib/pacemaker/cores /run/crm
install -o hacluster -g haclient -m 0600 ${dir}/cib.xml /var/lib/pacemaker/cib/cib.xml
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker /run/crm
chmod 0750 /var/lib/pacemaker/cib
exec corosync -f -c ${dir}/corosync.conf
`;
}

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-cluster-"));
  chmodSync(dir, 0o755); // hacluster (pacemaker-execd runs agents as root, but the CIB daemon reads as hacluster)
  writeFileSync(join(dir, "corosync.conf"), COROSYNC_CONF);
  writeFileSync(join(dir, "cib.xml"), cib(o.options ?? {}, o.resources ?? ""));
  for (const [provider, types] of Object.entries(o.agents ?? {})) {
    mkdirSync(join(dir, "agents", provider), { recursive: true, mode: 0o755 });
    for (const [type, file] of Object.entries(types)) {
      copyFileSync(file, join(dir, "agents", provider, type));
      chmodSync(join(dir, "agents", provider, type), 0o755);
    }
  }
  writeFileSync(join(dir, "inner.sh"), inner(dir, Object.keys(o.agents ?? {})));
  const corosyncLog = join(dir, "corosync.log");
  const coro = Bun.spawn(["unshare", "-mn", "--propagation", "private", "bash", join(dir, "inner.sh")], { stdin: "ignore", stdout: Bun.file(corosyncLog), stderr: Bun.file(corosyncLog) });
  const enter = ["nsenter", "-t", String(coro.pid), "-m", "-n"];
  const run = (argv: string[], env?: Record<string, string>): RunResult => {
    const r = spawnSync(enter[0]!, [...enter.slice(1), ...argv], { encoding: "utf8", timeout: 60_000, env: env ? { ...process.env, ...env } : process.env });
    return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
  };
  const pcmkLog = join(dir, "pacemaker.log");
  let pcmk: Bun.Subprocess | null = null;
  const logs = () => `corosync:\n${safeRead(corosyncLog).slice(-3000)}\npacemaker:\n${safeRead(pcmkLog).slice(-6000)}`;
  const close = async (): Promise<void> => {
    // pacemakerd stops the resources and its daemons; then corosync, the namespaces' last process.
    if (pcmk && pcmk.exitCode === null) {
      pcmk.kill("SIGTERM");
      const t = setTimeout(() => pcmk?.kill("SIGKILL"), 60_000);
      await pcmk.exited;
      clearTimeout(t);
    }
    if (coro.exitCode === null) {
      coro.kill("SIGTERM");
      const t = setTimeout(() => coro.kill("SIGKILL"), 10_000);
      await coro.exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(() => run(["corosync-quorumtool", "-s"]).out.includes("Quorate:          Yes"), "corosync quorate", 20_000, logs);
    pcmk = Bun.spawn([...enter, "pacemakerd", "--foreground"], { stdin: "ignore", stdout: Bun.file(pcmkLog), stderr: Bun.file(pcmkLog), env: { ...process.env, PCMK_logfile: pcmkLog } });
    await until(() => /Current DC: \S+ .*partition with quorum/.test(run(["crm_mon", "-1"]).out), "a DC elected", 60_000, logs);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    pid: coro.pid, dir, enter, run, logs, close,
    running: (resource) => /is running on/.test(run(["crm_resource", "--locate", "--resource", resource]).out),
    attr(name) {
      const r = run(["attrd_updater", "--query", "--name", name]);
      return r.code === 0 ? /value="([^"]*)"/.exec(r.out)?.[1] ?? null : null;
    },
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
