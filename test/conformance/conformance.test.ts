/**
 * Conformance from the documents alone: test/conformance/conformance.py, a
 * Python client written from docs/protocol.md with no hamon code, drives a
 * live monitor over raw frames (every message family, every error code of
 * §7 a peer can provoke, beacons, two monitor restarts with kill -9).
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWatched, type Watched } from "../helpers/watched.ts";
import { readJournal } from "../helpers/journal.ts";

const running: Watched[] = [];
afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
});

const TOML = `[monitor]\nreregister_window_ms = 1000\n[defaults]\nmax_recommend = "restart-daemon"\n[security]\nmax_messages_per_second = 20\n[[component]]\nname = "dyn"\nkind = "dynamic"\n`;

test("a client written from docs/protocol.md alone passes every check against the binary's behaviour", async () => {
  const state = mkdtempSync(join(tmpdir(), "hamon-conf-"));
  let w = await startWatched(TOML, state);
  running.push(w);
  const py = Bun.spawn(["python3", join(import.meta.dir, "conformance.py"), w.sock], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  const journals: string[] = [];
  const logs: string[] = [];
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of py.stdout) {
    buf += dec.decode(chunk, { stream: true });
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      if (line === "RESTART") {
        journals.push(JSON.stringify(readJournal(join(state, "journal.json")).components));
        logs.push(w.stderr().slice(-3000));
        w.proc.kill("SIGKILL");
        await w.proc.exited;
        running.splice(running.indexOf(w), 1);
        w = await startWatched(TOML, state, w.sock);
        running.push(w);
        py.stdin.write("GO\n");
        await py.stdin.flush();
      }
    }
  }
  await py.exited;
  const err = await new Response(py.stderr).text();
  const failures = lines.filter((l) => l.startsWith("FAIL"));
  expect({ failures, err: err.slice(-2000), ...(failures.length ? { journals, logs, now: w.stderr().slice(-3000) } : {}) }).toEqual({ failures: [], err: "" });
  expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  expect(lines.filter((l) => l.startsWith("ok ")).length).toBeGreaterThanOrEqual(30);
}, 120_000);
