/** Starts a real `hamon monitor` process (from source, or the compiled binary) on a private socket. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeSocket } from "../../src/transport/unix.ts";

export const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");

export interface MonitorProc {
  sock: string;
  dir: string;
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  stderr(): string;
  rssKiB(): number;
  stop(): Promise<number>;
}

/** Components in state up, from a `list` command; -1 when the monitor does not answer. */
export async function upCount(sock: string): Promise<number> {
  const { Session } = await import("../../src/library/session.ts");
  try {
    const s = await Session.open(sock, { role: "client", timeoutMs: 2_000 });
    try {
      const r = await s.request({ type: "command", id: s.nextId(), verb: "list", target: "", kind: "" }, 5_000);
      return r.type === "result" ? r.components.filter((c) => c.state === "up").length : -1;
    } finally {
      s.close();
    }
  } catch {
    return -1;
  }
}

export async function startMonitor(extraArgs: string[] = [], cmd: string[] = [process.execPath, MAIN], sockPath?: string, env?: Record<string, string>): Promise<MonitorProc> {
  const dir = mkdtempSync(join(tmpdir(), "hamon-test-"));
  const sock = sockPath ?? join(dir, "run", "hamon.sock");
  // A private state dir unless the test chose one: the default (/var/lib/hamon as root) is shared by every run.
  const state = extraArgs.includes("--state-dir") ? [] : ["--state-dir", join(dir, "state")];
  const proc = Bun.spawn([...cmd, "monitor", "--socket", sock, ...state, ...extraArgs], { stdin: "ignore", stdout: "pipe", stderr: "pipe", ...(env ? { env: { ...process.env, ...env } } : {}) });
  let err = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) err += dec.decode(chunk, { stream: true });
  })();
  for (let i = 0; i < 200 && (await probeSocket(sock)) !== "alive"; i++) {
    if (proc.exitCode !== null) throw new Error(`monitor exited ${proc.exitCode}: ${err}`);
    await Bun.sleep(25);
  }
  return {
    sock, dir, proc,
    stderr: () => err,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0),
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}
