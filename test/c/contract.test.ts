/**
 * The C library's promises (test/c/contract.c, built with ASan and UBSan),
 * each a scenario against the compiled monitor: what the header and
 * docs/c-library.md say every call returns, in a forked child, after a
 * refusal, on a duplicate name, on a burst, on a goodbye nobody answers, and
 * when a callback calls back in.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary, BIN } from "../helpers/binary.ts";
import { collectLines } from "../helpers/lines.ts";
import { decode, encode } from "../../src/protocol/codec.ts";
import { encodeFrame, FrameDecoder } from "../../src/protocol/framing.ts";
import { startWatched, until, type Watched } from "../helpers/watched.ts";

const ROOT = join(import.meta.dir, "..", "..");
/** The library returns -errno, as the kernel and sd-event do (hamon_component.h). */
const E = constants.errno;
/** Linux's EBADFD ("file descriptor in bad state"), which Node's table does not list: HAMON_ESTATE. */
const EBADFD = 77;
const SRC = join(ROOT, "src", "c");
const CONTRACT = join(mkdtempSync(join(tmpdir(), "hamon-contract-")), "contract");
const ENV = { ...process.env, ASAN_OPTIONS: "abort_on_error=0:exitcode=99", UBSAN_OPTIONS: "halt_on_error=1:exitcode=98" };

beforeAll(async () => {
  const r = Bun.spawnSync(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", `-I${SRC}`, join(import.meta.dir, "contract.c"), join(SRC, "hamon_component.c"), join(SRC, "hamon_xml.c"), join(SRC, "hamon_wire.c"), "-lpthread", "-o", CONTRACT], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  await buildBinary();
}, 120_000);

let mon: Watched | null = null;
afterEach(async () => {
  await mon?.close();
  mon = null;
});

async function monitor(toml = ""): Promise<Watched> {
  mon = await startWatched(toml, undefined, undefined, undefined, [BIN]);
  return mon;
}

/** Runs a scenario to its end; its "key value" lines as a map. */
function scenario(sock: string, name: string, component = "contract"): Map<string, string> {
  const r = Bun.spawnSync([CONTRACT, sock, name, component], { stdout: "pipe", stderr: "pipe", env: ENV });
  if (r.exitCode !== 0) throw new Error(`contract ${name} exited ${r.exitCode}: ${r.stderr.toString()}`);
  return new Map(r.stdout.toString().trim().split("\n").map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)] as const));
}

describe("libhamon-component's contract (ASan + UBSan)", () => {
  test("in a forked child, hamon_fd, hamon_next_timeout_ms and hamon_registered return HAMON_EFORK (-ECHILD)", async () => {
    const w = await monitor();
    const out = scenario(w.sock, "fork");
    expect(out.get("registered")).toBe("1");
    expect(out.get("child")).toBe(`${-E.ECHILD} ${-E.ECHILD} ${-E.ECHILD}`);
  });

  test("on_state(CONNECTING) runs from hamon_process, never inside hamon_start", async () => {
    const w = await monitor();
    const out = scenario(w.sock, "connecting");
    expect(out.get("during-start")).toBe("0");
    expect(out.get("after-process")).toBe("1");
  });

  test("hamon_confirm of a check the component did not declare: HAMON_EINVAL (-EINVAL); of a declared one: 0", async () => {
    const w = await monitor();
    const out = scenario(w.sock, "confirm");
    expect([out.get("undeclared"), out.get("declared")]).toEqual([String(-E.EINVAL), "0"]);
  });

  test("after REFUSED (an undeclared name, allow_undeclared = false): report, confirm and error_report return HAMON_ESTATE (-EBADFD)", async () => {
    const w = await monitor("[security]\nallow_undeclared = false\n");
    const out = scenario(w.sock, "refused");
    expect(out.get("refused")).toBe("1");
    expect([out.get("report"), out.get("confirm"), out.get("error-report")]).toEqual(Array(3).fill(String(-EBADFD)));
  });

  test("a second instance under a taken name hears E_NAME_TAKEN once (on_state ERROR), and keeps retrying quietly", async () => {
    const w = await monitor();
    const out = scenario(w.sock, "name-taken");
    expect(out.get("twin-registered")).toBe("0");
    expect(out.get("errors")).toBe("1 E_NAME_TAKEN");
  });

  test("a reason longer than 4,096 bytes is cut at a character boundary: the report carries no U+FFFD for a halved character", async () => {
    // A minimal monitor that records the report as it arrives on the wire (the real one shortens reasons for display).
    const dir = mkdtempSync(join(tmpdir(), "hamon-wire-"));
    const sock = join(dir, "m.sock");
    let report = "";
    const server = Bun.listen<{ dec: FrameDecoder }>({
      unix: sock,
      socket: {
        open(s) { s.data = { dec: new FrameDecoder() }; },
        data(s, chunk) {
          s.data.dec.push(chunk);
          for (let f = s.data.dec.next(); typeof f === "string"; f = s.data.dec.next()) {
            const m = decode(f);
            if (!m.ok) continue;
            if (m.msg.type === "hello") s.write(encodeFrame(encode({ type: "welcome", version: 1, server: "test" })));
            else if (m.msg.type === "register") s.write(encodeFrame(encode({ type: "ok", id: m.msg.id })));
            else if (m.msg.type === "report") report = m.msg.reason;
            else if (m.msg.type === "deregister") s.write(encodeFrame(encode({ type: "ok", id: m.msg.id })));
          }
        },
      },
    });
    try {
      const p = Bun.spawn([CONTRACT, sock, "reason"], { stdout: "pipe", stderr: "pipe", env: ENV });
      expect(await p.exited).toBe(0);
      expect(report.length).toBe(4095); // 4,095 'a': the 2-byte character that would end past 4,096 bytes is left out whole
      expect(report).toBe("a".repeat(4095));
    } finally {
      server.stop(true);
    }
  });

  test("2,000 reports in a row are coalesced: no E_LIMIT, and the monitor holds the last one", async () => {
    const w = await monitor();
    const out = scenario(w.sock, "burst");
    expect(out.get("limit-errors")).toBe("0");
    const r = await w.cmd("show", "contract");
    // Deregistered at the end of the run; the last report is what its events say last.
    const reports = w.events.filter((e) => e.component === "contract" && e.event === "report-degraded");
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.length).toBeLessThan(100);
    expect(reports.at(-1)!.reason).toBe("report 1999");
    void r;
  });

  test("hamon_stop against a monitor that never answers (SIGSTOPped): HAMON_ETIMEOUT (-ETIMEDOUT), not 0", async () => {
    const w = await monitor();
    const p = Bun.spawn([CONTRACT, w.sock, "stop-timeout"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: ENV });
    const lines = collectLines(p.stdout);
    await until(() => lines.includes("ready"), "registered", 10_000);
    process.kill(w.proc.pid, "SIGSTOP");
    try {
      p.stdin.write("go\n");
      p.stdin.flush();
      expect(await p.exited).toBe(0);
      expect(lines).toContain(`stop ${-E.ETIMEDOUT}`);
    } finally {
      process.kill(w.proc.pid, "SIGCONT");
    }
  });

  test("hamon_process called from inside a query callback returns HAMON_EBUSY (-EBUSY) and the stream is not re-parsed (ASan clean)", async () => {
    const w = await monitor();
    const p = Bun.spawn([CONTRACT, w.sock, "reenter"], { stdout: "pipe", stderr: "pipe", env: ENV });
    const lines = collectLines(p.stdout);
    await until(() => lines.includes("ready"), "registered", 10_000);
    const q = Bun.spawnSync([BIN, "query", "contract", "--socket", w.sock], { stdout: "pipe", stderr: "pipe" });
    expect(q.stdout.toString().trim()).toBe("ok: answered");
    expect(await p.exited).toBe(0);
    expect(lines).toContain(`reenter ${-E.EBUSY}`);
  });
});

test("make install PREFIX=/x after a plain make: the installed .pc names /x (the documented compile line works)", () => {
  const dir = mkdtempSync(join(tmpdir(), "hamon-pc-"));
  const out = join(dir, "build");
  const run = (...args: string[]) => {
    const r = Bun.spawnSync(["make", "-s", "-C", SRC, `OUT=${out}`, ...args], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  };
  run(); // a .pc for the default prefix in the build directory
  run(`PREFIX=${join(dir, "root")}`, "install");
  const r = Bun.spawnSync(["pkg-config", "--cflags", "hamon-component"], { stdout: "pipe", env: { ...process.env, PKG_CONFIG_PATH: join(dir, "root", "lib", "pkgconfig") } });
  expect(r.stdout.toString().trim()).toBe(`-I${join(dir, "root", "include")}`);
});
