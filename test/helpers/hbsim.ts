/** Compiles scripts/hbsim.c once per process and drives simulated fast paths over stdin/stdout. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
let bin: string | null = null;

/** Path of the compiled simulator (cc -O2 -pthread). */
export function hbsimBinary(): string {
  if (bin) return bin;
  const out = join(mkdtempSync(join(tmpdir(), "hamon-hbsim-")), "hbsim");
  const r = Bun.spawnSync(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread", "-I", join(ROOT, "src", "c"), join(ROOT, "scripts", "hbsim.c"), "-o", out], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`cc failed: ${r.stderr.toString()}`);
  bin = out;
  return out;
}

export interface Sim {
  proc: Bun.Subprocess<"pipe", "pipe", "inherit">;
  pid: number;
  /** Sends one command line and resolves with the simulator's one-line answer. */
  send(cmd: string): Promise<string>;
  kill(sig?: NodeJS.Signals): Promise<number | null>;
}

export async function startSim(path: string, cores: number, opts: { plain?: boolean; paceUs?: number } = {}): Promise<Sim> {
  const args = [hbsimBinary(), path, String(cores)];
  if (opts.plain) args.push("--plain");
  if (opts.paceUs !== undefined) args.push("--pace-us", String(opts.paceUs));
  const proc = Bun.spawn(args, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let buf = "";
  const dec = new TextDecoder();
  const line = async (): Promise<string> => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return l;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("hbsim closed its stdout");
      buf += dec.decode(value, { stream: true });
    }
  };
  const ready = await line();
  if (!ready.startsWith("ready ")) throw new Error(`hbsim said: ${ready}`);
  return {
    proc, pid: proc.pid,
    async send(cmd) {
      proc.stdin.write(`${cmd}\n`);
      await proc.stdin.flush();
      return line();
    },
    async kill(sig = "SIGKILL") {
      proc.kill(sig);
      return proc.exited;
    },
  };
}

export function tmpPath(name = "hb"): string {
  return join(mkdtempSync(join(tmpdir(), "hamon-hb-")), name);
}
