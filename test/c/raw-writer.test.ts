/**
 * A heartbeat writer written from docs/heartbeat.md alone (test/fixtures/raw-writer.c,
 * without the header): zeroed spare slots, both publication modes, a clean
 * exit. `hamon heartbeat` must read it exactly as the document says.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN } from "../helpers/monitor-proc.ts";

const dir = mkdtempSync(join(tmpdir(), "hamon-raw-"));
const bin = join(dir, "raw-writer");

function look(path: string) {
  const r = Bun.spawnSync([process.execPath, MAIN, "heartbeat", path, "--watch", "300", "--json"]);
  return { code: r.exitCode, j: JSON.parse(r.stdout.toString() || "null"), err: r.stderr.toString() };
}

describe.each(["plain", "memfd"])("%s", (mode) => {
  test("spare slots are unused, used ones ok; after the clean exit every core is unmonitored", async () => {
    if (!existsSync(bin)) expect(Bun.spawnSync(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", join(import.meta.dir, "..", "fixtures", "raw-writer.c"), "-o", bin]).exitCode).toBe(0);
    const path = join(dir, `hb-${mode}`);
    const p = Bun.spawn([bin, path, mode], { stdin: "pipe", stdout: "pipe" });
    const reader = p.stdout.getReader();
    const line = async () => new TextDecoder().decode((await reader.read()).value);
    expect(await line()).toContain("ready");
    const a = look(path);
    expect({ code: a.code, err: a.err }).toEqual({ code: 0, err: "" });
    expect(a.j.sealed).toBe(mode === "memfd");
    expect(a.j.cores.map((c: { state: string; verdict: string }) => `${c.state}/${c.verdict}`)).toEqual(["running/ok", "running/ok", "unused/unmonitored", "unused/unmonitored"]);
    p.stdin.write("stop\n");
    await p.stdin.flush();
    expect(await line()).toContain("stopped");
    const b = look(path);
    expect(b.code).toBe(0);
    expect(b.j.cores.every((c: { verdict: string }) => c.verdict === "unmonitored")).toBe(true);
    p.stdin.end();
    expect(await p.exited).toBe(0);
    expect(existsSync(path)).toBe(mode === "plain"); // a memfd writer removes its link on a clean exit
  });
});
