/**
 * Adopted daemons at full speed: after a monitor restart every daemon is
 * adopted (not our child: it was reparented to PID 1). Its death must be seen
 * as fast as a child's, through a pidfd (process/death-watch.ts), not by a
 * kill(0) poll a zombie still passes. Measured against the child case in the
 * same test, on the same daemons: a ratio, not a time. And an adopted daemon
 * that exits on SIGTERM is seen to exit (no "killed after" at shutdown).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { daemonArgv, killAndWait } from "../helpers/pid-restart.ts";
import { startWatched, until, type Watched } from "../helpers/watched.ts";

const N = 12;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe(`kill -9 of ${N} daemons as children, then of the same daemons adopted by a restarted monitor`, () => {
  const seen = { child: [] as number[], adopted: [] as number[], stopped: "", stderr: "" };
  let w2: Watched | null = null;
  beforeAll(async () => {
    const pids = mkdtempSync(join(tmpdir(), "hamon-adopt-pids-"));
    const stateDir = mkdtempSync(join(tmpdir(), "hamon-adopt-"));
    // backoff_reset_ms = 1: each daemon is killed once per phase, and its restart is the first of a new streak (at once) in both.
    const comps = Array.from({ length: N }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ${JSON.stringify(daemonArgv(pids, i))}\nready = "started"\ngrace_ms = 0\nbackoff_reset_ms = 1\nladder = []\n`).join("");
    const toml = `[monitor]\nstop_on_exit = true\nstop_timeout_ms = 3000\n${comps}`;
    const w = await startWatched(toml, stateDir);
    const up = async (m: Watched) => {
      const r = await m.cmd("status");
      return r.type === "result" ? r.components.filter((c) => c.state === "up").length : 0;
    };
    await until(async () => (await up(w)) === N, "all up");
    // Children: the monitor spawned them.
    for (let i = 0; i < N; i++) {
      seen.child.push(await killAndWait(pids, i));
      await Bun.sleep(50);
    }
    await Bun.sleep(300);
    // The monitor dies; its daemons live on, reparented to PID 1; a new monitor adopts them.
    w.proc.kill("SIGKILL");
    await w.proc.exited;
    w2 = await startWatched(toml, stateDir, w.sock);
    await until(async () => (await up(w2!)) === N, "all adopted");
    // Adopted: half of them killed (the other half stay adopted for the shutdown below).
    for (let i = 0; i < N / 2; i++) {
      seen.adopted.push(await killAndWait(pids, i));
      await Bun.sleep(50);
    }
    // stop_on_exit: the adopted half is stopped with SIGTERM, which sleep obeys at once.
    const m = w2;
    w2 = null;
    await m.close();
    seen.stderr = m.stderr();
  }, 60_000);
  afterAll(async () => {
    await w2?.close();
  });

  test("an adopted daemon's death is seen as fast as a child's: p50 within 3× the child's, same daemons, same run", () => {
    expect(seen.adopted.length).toBe(N / 2);
    const ratio = p50(seen.adopted) / p50(seen.child);
    console.log(`kill -9 → running again, p50: child ${p50(seen.child).toFixed(1)} ms, adopted ${p50(seen.adopted).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`);
    expect(ratio).toBeLessThanOrEqual(3);
  });

  test("an adopted daemon that exits on SIGTERM is seen to exit: no stop ran to its deadline", () => {
    expect(seen.stderr).not.toContain("stop timed out");
    expect(seen.stderr).not.toContain("killed after");
  });
});
