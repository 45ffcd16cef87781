/**
 * Attack: the socket's directory is shared (sticky /tmp-like) or belongs to
 * another user. Whoever may create entries there can plant `<socket>.lock`
 * (a FIFO, a file naming a pid to kill) or swap the socket for a fake. The
 * monitor refuses such a directory, clients refuse to dial into it, and a
 * client refuses a peer that is neither root nor itself (SO_PEERCRED).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uidOf } from "../../src/sys/accounts.ts";
import { MAIN } from "../helpers/monitor-proc.ts";
import { until } from "../helpers/wait.ts";

const NOBODY = uidOf("nobody")!;
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) try { f(); } catch { /* gone */ }
});

function hamon(args: string[], timeoutMs = 15_000): { code: number | null; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function victim(): number {
  const v = Bun.spawn(["sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  cleanup.push(() => process.kill(v.pid, "SIGKILL"));
  return v.pid;
}

const startTicks = (pid: number) => Bun.file(`/proc/${pid}/stat`).text().then((s) => s.slice(s.lastIndexOf(")") + 2).split(" ")[19]);

describe("a socket directory others can write", () => {
  test("sticky and world-writable (/tmp-like): the monitor refuses to start, naming the directory; a planted lock cannot steer discovery", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-shared-"));
    chmodSync(dir, 0o1777);
    const sock = join(dir, "hamon.sock");
    // What an unprivileged user would plant first: a lock file naming a root process to kill.
    const v = victim();
    writeFileSync(`${sock}.lock`, `${v} ${await startTicks(v)}\n`);
    chownSync(`${sock}.lock`, NOBODY, -1);
    const m = hamon(["monitor", "--socket", sock, "--state-dir", join(dir, "state")]);
    expect(m.code).not.toBe(0);
    expect(m.err).toContain(`${dir} is writable by everyone`);
    const d = hamon(["discovery", "--once", "--kill-hung", "--socket", sock]);
    expect(d.code).not.toBe(0); // it cannot start a monitor there either (exit 78 names the reason in monitor.log)
    expect(() => process.kill(v, 0)).not.toThrow(); // never signalled
  }, 30_000);

  test("a FIFO at the lock path of a shared directory hangs neither discovery nor the OCF agent", () => {
    const dir = mkdtempSync(join(tmpdir(), "hamon-fifo-"));
    chmodSync(dir, 0o1777);
    const sock = join(dir, "hamon.sock");
    Bun.spawnSync(["mkfifo", `${sock}.lock`]);
    // spawnSync's timeout is the hang detector: a hung open would be killed (exit null) at 10 s.
    const d = hamon(["discovery", "--once", "--socket", sock], 10_000);
    expect(d.code).not.toBeNull();
    const o = Bun.spawnSync([process.execPath, MAIN, "ocf", "monitor"], { env: { ...process.env, OCF_RESKEY_socket: sock }, stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    expect(o.exitCode).not.toBeNull();
  }, 30_000);

  test("owned by another user: the monitor refuses; root's client refuses to dial there", () => {
    const base = mkdtempSync(join(tmpdir(), "hamon-other-"));
    chmodSync(base, 0o755);
    const dir = join(base, "run");
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, NOBODY, -1);
    const sock = join(dir, "hamon.sock");
    const m = hamon(["monitor", "--socket", sock, "--state-dir", join(base, "state")]);
    expect(m.code).not.toBe(0);
    expect(m.err).toContain(`belongs to uid ${NOBODY}`);
    const s = hamon(["status", "--socket", sock]);
    expect(s.code).not.toBe(0);
    expect(s.err).toContain(`belongs to uid ${NOBODY}`);
  }, 30_000);
});

describe("a fake in the monitor's place", () => {
  test("a socket served by nobody, moved into root's directory: root's client refuses to talk to it (SO_PEERCRED)", async () => {
    const theirs = mkdtempSync(join(tmpdir(), "hamon-fake-"));
    chmodSync(theirs, 0o777);
    const fakeSock = join(theirs, "fake.sock");
    const script = join(theirs, "fake.ts");
    // A listener that answers anything with a welcome-looking line, as a fake monitor would.
    writeFileSync(script, `Bun.listen({ unix: ${JSON.stringify(fakeSock)}, socket: { data(s) { s.write("<hamon/>\\n"); } } }); setInterval(() => {}, 1000);`);
    const fake = Bun.spawn(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, script], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    cleanup.push(() => fake.kill("SIGKILL"));
    await until(() => Bun.spawnSync(["test", "-S", fakeSock]).exitCode === 0, "the fake listens");
    const ours = mkdtempSync(join(tmpdir(), "hamon-root-"));
    const sock = join(ours, "hamon.sock");
    renameSync(fakeSock, sock);
    const s = hamon(["status", "--socket", sock]);
    expect(s.code).not.toBe(0);
    expect(s.err).toContain(`served by uid ${NOBODY}`);
  }, 30_000);
});
