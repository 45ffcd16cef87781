/**
 * Attack: what a daemon writes to its log and what a peer puts in a reason
 * reach the operator's terminal. Every human-facing output (logs, events
 * with and without --json, check, status, top) goes through the escaping
 * renderer: C0, DEL, C1 and the bidi controls are neutralised, JSON stays
 * valid JSON, and wide characters do not break top's columns.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCheck } from "../../src/render/check.ts";
import { renderEvent } from "../../src/render/events.ts";
import { displayWidth, jsonForTerminal, printable } from "../../src/render/table.ts";
import { renderTop } from "../../src/render/top.ts";
import type { ComponentStatus } from "../../src/protocol/messages.ts";
import { MAIN } from "../helpers/monitor-proc.ts";

/** A title change, a clear screen, an OSC 52 clipboard write, C1 CSI, DEL and a right-to-left override. */
const EVIL = "a\u001b]0;pwned\u0007b\u001b[2Jc\u001b]52;c;cm0gLXJmIH4K\u0007d\u009b31me\u007ff\u202eg\u2066h";
/** What must never reach a terminal raw. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const comp = (over: Partial<ComponentStatus>): ComponentStatus => ({
  name: "x", kind: "static", plane: "control", state: "up", health: "ok", pid: 1, ageMs: 1000, restarts: 0, reason: "", ...over,
} as ComponentStatus);

describe("the escaping renderer", () => {
  test("printable: every control, C1 and bidi character shown escaped; ordinary text untouched", () => {
    const p = printable(EVIL);
    expect(p).not.toMatch(RAW);
    expect(p).toContain("\\x1b]0;pwned\\x07");
    expect(p).toContain("\\x9b");
    expect(p).toContain("\\u{202e}");
    expect(printable("zebra: 3 routes, 路由 ok")).toBe("zebra: 3 routes, 路由 ok");
  });

  test("events: the human line and the JSON line carry nothing raw; the JSON still parses to the same text", () => {
    const e = { seq: 1, time: 0, component: `c${EVIL}`, event: `ev${EVIL}`, level: "", reason: EVIL };
    expect(renderEvent(e, false)).not.toMatch(RAW);
    const j = renderEvent(e, true);
    expect(j.trimEnd()).not.toMatch(RAW);
    expect(JSON.parse(j).reason).toBe(EVIL);
    expect(jsonForTerminal(JSON.stringify({ r: "\u009b" }))).toBe('{"r":"\\u009b"}');
  });

  test("check: the Nagios line carries nothing raw", () => {
    expect(renderCheck([comp({ name: "svc", state: "down", health: "failed", reason: EVIL })]).line).not.toMatch(RAW);
  });

  test("top: wide names and reasons never make a line wider than the terminal, and columns stay aligned", () => {
    const comps = [
      comp({ name: "路由器路由器路由器", reason: "🚀🚀🚀 全角の理由 ".repeat(10) }),
      comp({ name: "bgpd", reason: EVIL }),
    ];
    const lines = renderTop({ monitor: null, components: comps, cores: new Map(), events: [{ time: 0, component: "路由器", event: "exited", level: "", reason: `${EVIL}🚀` }], readAtMs: 0, connection: "" }, { cols: 60, rows: 20 }, 0);
    for (const l of lines) {
      expect(displayWidth(l)).toBeLessThanOrEqual(60);
      expect(l).not.toMatch(RAW);
    }
    // The STATE column starts at the same terminal column on every component row.
    const rows = lines.filter((l) => / {2}up {2}/.test(l));
    const col = (l: string) => displayWidth(l.slice(0, l.indexOf("  up  ")));
    expect(new Set(rows.map(col)).size).toBe(1);
  });
});

describe("the commands", () => {
  test("hamon logs: escaped by default, as written with --raw; EACCES is named as such", () => {
    const state = mkdtempSync(join(tmpdir(), "hamon-term-"));
    mkdirSync(join(state, "logs"));
    writeFileSync(join(state, "logs", "evil.log"), `first\t${EVIL}\nsecond\n`);
    const run = (...extra: string[]) => Bun.spawnSync([process.execPath, MAIN, "logs", "evil", "--state-dir", state, ...extra], { stdout: "pipe", stderr: "pipe" });
    const safe = run().stdout.toString();
    expect(safe).not.toMatch(RAW);
    expect(safe).toContain("first\t"); // a tab is harmless and kept
    expect(safe.split("\n").length).toBe(3); // two lines and the end: escaping added no line
    expect(run("--raw").stdout.toString()).toContain(EVIL);
    const denied = Bun.spawnSync(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, MAIN, "logs", "evil", "--state-dir", state], { stdout: "pipe", stderr: "pipe" });
    expect(denied.stderr.toString()).toContain("permission denied");
  });

  test("hamon events (from events.jsonl, human and --json): nothing raw", () => {
    const state = mkdtempSync(join(tmpdir(), "hamon-term-"));
    writeFileSync(join(state, "events.jsonl"), `${JSON.stringify({ seq: 1, time: 1, component: "evil", event: "exited", level: "", reason: EVIL })}\n`);
    for (const extra of [[], ["--json"]]) {
      const r = Bun.spawnSync([process.execPath, MAIN, "events", "--state-dir", state, ...extra], { stdout: "pipe", stderr: "pipe" });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString().trimEnd()).not.toMatch(RAW);
      expect(r.stdout.toString()).toContain("pwned");
    }
  });
});
