/**
 * libhamon-component (src/c) built by its Makefile (static, shared,
 * pkg-config), its header compiled as C++17, and the example daemon
 * (examples/c/component.c) built with AddressSanitizer and
 * UndefinedBehaviorSanitizer and run against the real compiled monitor:
 * registration, every query kind, late and on-time audits, report, confirm
 * and error-report with their events, the stop action, a monitor killed and
 * replaced (called back by the beacon, registered again with its report and
 * the error report queued meanwhile), a stalled component beside a healthy
 * one; and the fuzz run (test/c/fuzz-component.c) under the same sanitizers.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary, BIN } from "../helpers/binary.ts";
import { collectLines } from "../helpers/lines.ts";
import { startWatched, stateOf, until, type Watched } from "../helpers/watched.ts";

const ROOT = join(import.meta.dir, "..", "..");
const SRC = join(ROOT, "src", "c");
const dir = mkdtempSync(join(tmpdir(), "hamon-libc-"));
const SAN = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"];
const WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"];
const EXAMPLE = join(dir, "hamon-example");
const FUZZ = join(dir, "fuzz-component");

function run(argv: string[], env: Record<string, string> = {}): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} → ${r.exitCode}\n${r.stdout.toString()}${r.stderr.toString()}`);
  return r.stdout.toString();
}

beforeAll(async () => {
  run(["cc", ...WARN, ...SAN, `-I${SRC}`, join(ROOT, "examples", "c", "component.c"), join(SRC, "hamon_component.c"), join(SRC, "hamon_xml.c"), join(SRC, "hamon_wire.c"), "-lpthread", "-o", EXAMPLE]);
  run(["cc", ...WARN, ...SAN, `-I${SRC}`, join(ROOT, "test", "c", "fuzz-component.c"), join(SRC, "hamon_component.c"), join(SRC, "hamon_xml.c"), join(SRC, "hamon_wire.c"), "-lpthread", "-o", FUZZ]);
  await buildBinary();
}, 120_000);

test("make builds the static and shared libraries and the pkg-config file; installed, a program links through pkg-config against the shared library; the header compiles as C++17", () => {
  const out = join(dir, "build");
  const prefix = join(dir, "root");
  run(["make", "-s", "-C", SRC, `OUT=${out}`, `PREFIX=${prefix}`, "install"]);
  for (const f of ["libhamon-component.a", "libhamon-component.so.2.0.0", "hamon-component.pc"]) expect(existsSync(join(out, f))).toBe(true);
  const pc = { PKG_CONFIG_PATH: join(prefix, "lib", "pkgconfig") };
  const flags = run(["pkg-config", "--cflags", "--libs", "hamon-component"], pc).trim().split(/\s+/);
  expect(flags).toContain(`-I${prefix}/include`);
  const exe = join(dir, "linked");
  run(["cc", ...WARN, join(ROOT, "examples", "c", "component.c"), ...flags, "-o", exe]);
  const r = Bun.spawnSync([exe], { env: { ...process.env, LD_LIBRARY_PATH: join(prefix, "lib") }, stderr: "pipe" });
  expect(r.exitCode).toBe(64); // usage: it loaded the shared library and ran
  // Only the API is exported from the shared library.
  const syms = run(["nm", "-D", "--defined-only", join(out, "libhamon-component.so")]).split("\n").filter(Boolean).map((l) => l.split(" ").at(-1));
  expect(syms.every((s) => s!.startsWith("hamon_"))).toBe(true);
  expect(syms).not.toContain("hxml_parse");
  const cxx = join(dir, "cxx.cc");
  Bun.write(cxx, `#include "hamon_component.h"\nint main() { int e = 0; hamon_t *h = hamon_new(nullptr, &e); return h == nullptr && e == HAMON_EINVAL ? 0 : 1; }\n`);
  run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic", `-I${SRC}`, cxx, join(out, "libhamon-component.a"), "-lpthread", "-o", join(dir, "cxx")]);
  run([join(dir, "cxx")]);
}, 60_000);

/** The example daemon, sanitized, with its stdin (commands) and stdout (what happened). */
interface Example {
  proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  lines: string[];
  send(cmd: string): Promise<void>;
  waitLine(re: RegExp, from?: number): Promise<string>;
}

const examples: Example[] = [];
function startExample(name: string, sock: string, ...args: string[]): Example {
  const proc = Bun.spawn([EXAMPLE, name, "--socket", sock, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { ...process.env, ASAN_OPTIONS: "abort_on_error=0:exitcode=99" } });
  const lines = collectLines(proc.stdout);
  const ex: Example = {
    proc, lines,
    async send(cmd) {
      const mark = lines.length;
      proc.stdin.write(`${cmd}\n`);
      proc.stdin.flush();
      await ex.waitLine(new RegExp(`^done ${cmd.split(" ")[0]}`), mark);
    },
    async waitLine(re, from = 0) {
      let found = "";
      await until(() => (found = lines.slice(from).find((l) => re.test(l)) ?? "") !== "", `example line ${re}`, 15_000, () => lines.join("\n"));
      return found;
    },
  };
  examples.push(ex);
  return ex;
}

let mon: Watched | null = null;
afterEach(async () => {
  for (const e of examples.splice(0)) {
    e.proc.kill("SIGKILL");
    await e.proc.exited;
  }
  await mon?.close();
  mon = null;
});

async function monitor(stateDir?: string, sock?: string): Promise<Watched> {
  mon = await startWatched("", stateDir, sock, undefined, [BIN]);
  return mon;
}

function hamon(sock: string, ...args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync([BIN, ...args, "--socket", sock], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}`.trim() };
}

describe("the example daemon (ASan + UBSan) against the compiled monitor", () => {
  test("registers with its checks; health, audit (on time and late), dump answered; report, confirm and error-report reach the events", async () => {
    const w = await monitor();
    const ex = startExample("ospfc", w.sock);
    await ex.waitLine(/^state registered/);
    await w.waitEvent((e) => e.component === "ospfc" && e.event === "registered", "registered");
    expect(await stateOf(w, "ospfc")).toBe("up/ok");
    expect(hamon(w.sock, "query", "ospfc").out).toMatch(/^ok: \d+ requests served$/);
    expect(hamon(w.sock, "query", "ospfc", "--kind", "audit").out).toBe("ok: tables consistent");
    expect(hamon(w.sock, "query", "ospfc", "--kind", "dump").out).toMatch(/^ok: served=\d+ audit-delay=0$/);
    await ex.send("audit-delay 300"); // answered from a timer, the loop running meanwhile
    expect(hamon(w.sock, "query", "ospfc", "--kind", "audit").out).toBe("ok: tables consistent (late audit)");
    await ex.send("audit-delay 6000"); // past the monitor's 5 s relay deadline: the late answer is refused by the library
    const late = ex.lines.length;
    expect(hamon(w.sock, "query", "ospfc", "--kind", "audit").out).toContain("E_TIMEOUT");
    expect(await ex.waitLine(/^audit answered:/, late)).toBe("audit answered: no such query outstanding");
    let mark = w.events.length;
    await ex.send("report degraded neighbour 10.0.0.2 flapping");
    expect((await w.waitEvent((e) => e.component === "ospfc" && e.event === "report-degraded", "report", mark)).reason).toBe("neighbour 10.0.0.2 flapping");
    mark = w.events.length;
    await ex.send("tick failed");
    expect((await w.waitEvent((e) => e.component === "ospfc" && e.event === "check-failed", "confirm failed", mark)).reason).toContain("tick loop behind");
    await ex.send("tick ok");
    mark = w.events.length;
    await ex.send("error restart-control-plane RIB and FIB disagree");
    const er = await w.waitEvent((e) => e.component === "ospfc" && e.event === "error-report", "error report", mark);
    expect([er.level, er.reason]).toEqual(["restart-control-plane", "RIB and FIB disagree"]);
    await ex.send("quit");
    await w.waitEvent((e) => e.component === "ospfc" && e.event === "deregistered", "deregistered", mark);
    expect(await ex.proc.exited).toBe(0); // and no sanitizer finding (it would exit 99)
  }, 60_000);

  test("deactivate: the monitor's stop action is answered, the daemon deregisters and exits 0", async () => {
    const w = await monitor();
    const ex = startExample("ripc", w.sock, "--dynamic");
    await ex.waitLine(/^state registered/);
    const r = hamon(w.sock, "deactivate", "ripc");
    expect(r.code).toBe(0);
    expect(await ex.proc.exited).toBe(0);
    expect(await stateOf(w, "ripc")).toBe("inactive/ok");
  }, 30_000);

  test("monitor kill -9 → a new monitor calls it back through its beacon: registered again with its report; an error report made meanwhile arrives", async () => {
    const state = mkdtempSync(join(tmpdir(), "hamon-state-"));
    const w = await monitor(state);
    const sock = w.sock;
    const ex = startExample("bgpc", sock);
    await ex.waitLine(/^state registered/);
    await ex.send("report degraded 2 of 3 peers up");
    await w.waitEvent((e) => e.component === "bgpc" && e.event === "report-degraded", "report");
    w.proc.kill("SIGKILL");
    await w.proc.exited;
    mon = null;
    await ex.waitLine(/^state disconnected/);
    await ex.send("error restart-daemon table overflow while the monitor was away");
    const mark = ex.lines.length;
    const w2 = await monitor(state, sock);
    await ex.waitLine(/^state registered/, mark);
    // It comes back within the new monitor's first milliseconds, before a test subscriber could connect: read the log.
    await until(() => /msg="event error-report" component=bgpc recovery=restart-daemon reason="table overflow while the monitor was away"/.test(w2.stderr()), "the queued error report", 15_000, () => w2.stderr());
    await until(async () => (await w2.cmd("show", "bgpc")).type === "result", "bgpc known");
    const r = await w2.cmd("show", "bgpc");
    expect(r.type === "result" && r.components[0]!.reason).toBe("2 of 3 peers up"); // its report, re-sent
    expect(existsSync(join(sock, "..", "beacons", "bgpc.sock"))).toBe(true);
  }, 60_000);

  test("no loop of its own: the helper thread registers it, answers queries and carries its report; quit deregisters", async () => {
    const w = await monitor();
    const ex = startExample("threadc", w.sock, "--thread");
    await ex.waitLine(/^state registered/);
    expect(hamon(w.sock, "query", "threadc").out).toMatch(/^ok: \d+ requests served$/);
    await ex.send("report degraded from the main thread");
    await until(async () => (await stateOf(w, "threadc")) === "up/degraded", "the report from another thread");
    const mark = w.events.length;
    ex.proc.stdin.write("quit\n");
    ex.proc.stdin.flush();
    await w.waitEvent((e) => e.component === "threadc" && e.event === "deregistered", "deregistered", mark);
    expect(await ex.proc.exited).toBe(0);
  }, 30_000);

  describe("a component whose loop is stuck for 3 s beside one that is fine", () => {
    // The scenario runs once; the stuck one's failure and the fine one's calm are asserted apart.
    const seen = { stuckFailed: false, query: "", fineState: "", fineFailures: [] as string[] };
    beforeAll(async () => {
      const w = await monitor();
      const stuck = startExample("stuckd", w.sock);
      const fine = startExample("fined", w.sock);
      await stuck.waitLine(/^state registered/);
      await fine.waitLine(/^state registered/);
      const mark = w.events.length;
      stuck.proc.stdin.write("block 3000\n");
      stuck.proc.stdin.flush();
      seen.stuckFailed = await w.waitEvent((e) => e.component === "stuckd" && e.event === "check-failed", "the stuck one's check failed", mark).then(() => true, () => false);
      seen.query = hamon(w.sock, "query", "fined").out;
      seen.fineState = await stateOf(w, "fined");
      seen.fineFailures = w.events.slice(mark).filter((e) => e.component === "fined" && e.event === "check-failed").map((e) => e.reason);
    }, 30_000);

    test("the stuck one fails its check", () => {
      expect(seen.stuckFailed).toBe(true);
    });

    test("under load, no false failure: the other is answered on time meanwhile and never fails", () => {
      expect(seen.query).toMatch(/^ok: \d+ requests served$/);
      expect(seen.fineState).toBe("up/ok");
      expect(seen.fineFailures).toEqual([]);
    });
  });
});

test("fuzz under ASan + UBSan: 10^6 mutated documents into the decoder, 10^6 mutated frames split at random through the library (garbage, oversized and zero lengths, a monitor vanishing mid-frame): zero findings", () => {
  const out = run([FUZZ, join(dir, "fuzz.sock"), "1000000", "1000000", String(Date.now() % 1_000_000)], { ASAN_OPTIONS: "exitcode=99" });
  console.log(out.trim());
  const m = /library frames=(\d+) reconnects=(\d+) replies=(\d+)/.exec(out);
  expect(Number(m?.[1])).toBe(1_000_000);
  expect(Number(m?.[2])).toBeGreaterThan(1_000); // garbage made it reconnect, and it came back every time
  expect(Number(m?.[3])).toBeGreaterThan(100_000);
}, 300_000);

