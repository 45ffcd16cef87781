/**
 * Attack: peer text as an object key. Every own property name of
 * Object.prototype (and `__proto__`) is tried as a declared and as a
 * registered component name while another component hangs: the hang must be
 * detected, and names the rule refuses are refused the same way in config,
 * protocol and journal.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../src/library/component.ts";
import { Session } from "../../src/library/session.ts";
import { HamonError } from "../../src/protocol/errors.ts";
import { COMPONENT_NAME_RE } from "../../src/protocol/limits.ts";
import { parseConfig as loadConfigText } from "../../src/config/config.ts";
import { loadJournal } from "../../src/monitor/journal.ts";
import { journalBody, sealJournal } from "../helpers/journal.ts";
import { demoArgv, pidOf, startWatched, type Watched } from "../helpers/watched.ts";

const PROTO_NAMES = [...Object.getOwnPropertyNames(Object.prototype), "__proto__", "prototype", "caller", "arguments"];
const VALID = PROTO_NAMES.filter((n) => COMPONENT_NAME_RE.test(n));
const REFUSED = PROTO_NAMES.filter((n) => !COMPONENT_NAME_RE.test(n));

const running: Watched[] = [];
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
  for (const w of running.splice(0)) await w.close();
});

const HUNG = `[[component]]\nname = "hung"\nstart = ${demoArgv("hung")}\n[[component.check]]\nname = "health"\nperiod_ms = 200\ntimeout_ms = 200\n`;

async function hangDetected(w: Watched): Promise<void> {
  await w.waitEvent((e) => e.component === "hung" && e.event === "registered", "hung registered", 0, 15_000);
  const pid = await pidOf(w, "hung");
  const mark = w.events.length;
  process.kill(pid, "SIGSTOP");
  cleanup.push(() => { try { process.kill(pid, "SIGCONT"); } catch { /* gone */ } });
  await w.waitEvent((e) => e.component === "hung" && e.event === "check-failed", "the hang detected", mark, 10_000);
  expect(w.proc.exitCode).toBeNull();
  expect(w.stderr()).not.toMatch(/TypeError|is not a function/);
}

describe("Object.prototype names", () => {
  test("the name rule keeps some and refuses the rest, the same way in config, protocol and journal", () => {
    expect(VALID).toContain("toString");
    expect(REFUSED).toContain("__proto__");
    for (const n of REFUSED) {
      const r = loadConfigText(`[[component]]\nname = ${JSON.stringify(n)}\n`);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.join("\n")).toContain("name");
    }
    const dir = mkdtempSync(join(tmpdir(), "hamon-names-"));
    for (const n of REFUSED) {
      const p = join(dir, "journal.json");
      writeFileSync(p, sealJournal(journalBody({ components: [{ name: n, active: true, quarantined: false, restarts: 0, pid: 0, startTime: 0 }] })));
      expect(loadJournal(p).ok).toBe(false);
      writeFileSync(p, sealJournal(journalBody({ engine: { starvedUntil: 0, components: [{ name: n, failures: [], recoveries: [], graceUntil: 0, healthySince: null, quarantined: false }] } })));
      expect(loadJournal(p).ok).toBe(false);
    }
  });

  test("declared (static, never registering, so each fails and is decided on) while another hangs: the hang is detected", async () => {
    const decl = VALID.map((n) => `[[component]]\nname = "${n}"\nready_timeout_ms = 200\n`).join("");
    const w = await startWatched(HUNG + decl);
    running.push(w);
    await w.waitEvent((e) => e.component === "toString" && e.event === "recover", "toString's failure decided on", 0, 15_000);
    await hangDetected(w);
  }, 40_000);

  test("registered by peers (and refused names answered E_INVALID) while another hangs: the hang is detected", async () => {
    const w = await startWatched(HUNG);
    running.push(w);
    for (const n of VALID) {
      const c = new Component({ name: n, socket: w.sock, beacon: false });
      cleanup.push(() => c.stop());
      await c.start();
    }
    for (const n of REFUSED) {
      const s = await Session.open(w.sock, { role: "component" });
      cleanup.push(() => s.close());
      const err = await s.request({ type: "register", id: s.nextId(), name: n, kind: "static", plane: "control", pid: process.pid, checks: [] }).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(HamonError);
      expect((err as HamonError).code).toBe("E_INVALID");
    }
    const r = await w.cmd("list");
    expect(r.type).toBe("result");
    if (r.type === "result") for (const n of VALID) expect(r.components.find((c) => c.name === n)?.state).toBe("up");
    // Each one reports and errs, the paths that look names up in the engine.
    for (const n of VALID) {
      const s = await Session.open(w.sock, { role: "client" });
      cleanup.push(() => s.close());
      const shown = await s.request({ type: "command", id: s.nextId(), verb: "show", target: n, kind: "" });
      expect(shown.type).toBe("result");
    }
    await hangDetected(w);
  }, 40_000);
});
