/**
 * A daemon run as a user gets nothing of root's: a clean environment (PATH,
 * HOME, USER, LOGNAME and its own env), and its exec checks run as that user
 * too. One that waits for a dynamic component nobody activated says so.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidOf, startWatched, until, type Watched } from "../helpers/watched.ts";

const running: Watched[] = [];
const pids: number[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const p of pids.splice(0)) try { process.kill(p, "SIGKILL"); } catch { /* gone */ }
});

describe("a daemon run as a user", () => {
  test("starts from a clean environment (none of root's variables, LD_LIBRARY_PATH included); its exec check runs as that user", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-runas-"));
    chmodSync(dir, 0o1777);
    const envOut = join(dir, "env");
    const idOut = join(dir, "check-uid");
    const toml = `[[component]]\nname = "lowly"\nstart = ["/bin/sh", "-c", "env > ${envOut}; exec sleep 600"]\nready = "started"\nuser = "nobody"\nenv = { GREETING = "hi" }\n[[component.check]]\nname = "who"\nmode = "exec"\nargv = ["/bin/sh", "-c", "id -u > ${idOut}"]\nperiod_ms = 500\ntimeout_ms = 500\n`;
    const w = await startWatched(toml, undefined, undefined, { ROOT_SECRET: "s3cret", LD_LIBRARY_PATH: "/nonexistent/evil" });
    running.push(w);
    pids.push(await pidOf(w, "lowly"));
    await until(() => existsSync(envOut) && existsSync(idOut), "the daemon and its check ran", 10_000, () => w.stderr());
    const env = new Map(readFileSync(envOut, "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const));
    expect(env.has("ROOT_SECRET")).toBe(false);
    expect(env.has("LD_LIBRARY_PATH")).toBe(false);
    expect(env.get("USER")).toBe("nobody");
    expect(env.get("GREETING")).toBe("hi");
    expect(env.get("HAMON_COMPONENT")).toBe("lowly");
    expect(readFileSync(idOut, "utf8").trim()).toBe("65534");
  }, 30_000);

  test("after = a dynamic component nobody activated: the wait says why", async () => {
    const toml = `[[component]]\nname = "ospfd"\nkind = "dynamic"\nstart = ["/bin/sleep", "600"]\nready = "started"\n[[component]]\nname = "waiter"\nstart = ["/bin/sleep", "600"]\nready = "started"\nafter = ["ospfd"]\n`;
    const w = await startWatched(toml);
    running.push(w);
    await until(async () => { const r = await w.cmd("show", "waiter"); return r.type === "result" && (r.components[0]?.reason ?? "").includes("dynamic, not activated"); }, "the reason names the inactive dynamic component", 10_000, () => w.stderr());
  }, 30_000);
});

describe("a stop command", () => {
  test("runs in a process group of its own and is killed at the stop deadline (a hung stop command cannot stay)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-stopcmd-"));
    const out = join(dir, "pgid");
    const tag = `61${process.pid}`; // "sleep 61PID": marks the hung stop command
    const toml = `[monitor]\nstop_timeout_ms = 500\n[[component]]\nname = "svc"\nstart = ["/bin/sleep", "600"]\nready = "started"\nstop = ["/bin/sh", "-c", "ps -o pgid= -p $$ > ${out}; kill $HAMON_PID; exec sleep ${tag}"]\n`;
    const w = await startWatched(toml);
    running.push(w);
    pids.push(await pidOf(w, "svc"));
    const mark = w.events.length;
    expect((await w.cmd("restart", "svc")).type).toBe("result");
    await w.waitEvent((e) => e.component === "svc" && e.event === "started", "restarted", mark, 10_000);
    pids.push(await pidOf(w, "svc"));
    await until(() => existsSync(out) && readFileSync(out, "utf8").trim() !== "", "the stop command ran", 5_000);
    const monitorPgid = readFileSync(`/proc/${w.proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2];
    expect(readFileSync(out, "utf8").trim()).not.toBe(monitorPgid);
    await until(() => Bun.spawnSync(["pgrep", "-f", `sleep ${tag}`]).exitCode !== 0, "the hung stop command killed at its deadline", 5_000);
  }, 30_000);
});
