/**
 * The log line formats, pinned (golden): logfmt text (empty fields left out,
 * quoted only when needed, one line whatever the peer sends), the journald
 * variant, and JSON (every field; the line's own time/level/msg never
 * replaced by a field). Then the real monitor's stderr, parsed back by a
 * strict logfmt reader: every line one record.
 */
import { expect, test } from "bun:test";
import { formatLogLine } from "../../src/log.ts";
import { demoArgv, startWatched } from "../helpers/watched.ts";

const time = new Date(Date.UTC(2026, 10, 30, 22, 0, 0, 0));
const text = { format: "text" as const, journal: false, time };

test("text: logfmt, empty fields left out, bare values unquoted", () => {
  expect(formatLogLine("info", "event recover", { component: "bgpd", recovery: "restart-daemon", reason: "no answer for 3 s" }, text))
    .toBe('time=2026-11-30T22:00:00.000Z level=info msg="event recover" component=bgpd recovery=restart-daemon reason="no answer for 3 s"');
  expect(formatLogLine("warn", "event node-red", { component: "", recovery: "", reason: "fast path dp dead" }, text))
    .toBe('time=2026-11-30T22:00:00.000Z level=warn msg="event node-red" reason="fast path dp dead"');
  expect(formatLogLine("info", "listening", { socket: "/run/hamon/hamon.sock", pid: 4242, max_connections: 1024 }, text))
    .toBe("time=2026-11-30T22:00:00.000Z level=info msg=listening socket=/run/hamon/hamon.sock pid=4242 max_connections=1024");
});

test("text: what needs quoting is quoted and escaped; a peer cannot forge a line or a field", () => {
  const evil = 'x\ntime=2020 level=error msg="forged" a=b';
  const line = formatLogLine("info", "event registered", { component: "c=d", reason: evil, quote: 'say "hi"', tab: "a\tb", bs: "C:\\x" }, text);
  expect(line).toBe('time=2026-11-30T22:00:00.000Z level=info msg="event registered" component="c=d" reason="x\\ntime=2020 level=error msg=\\"forged\\" a=b" quote="say \\"hi\\"" tab="a\\tb" bs="C:\\\\x"');
  expect(line.split("\n")).toHaveLength(1);
  expect(parseLogfmt(line)).toEqual({ time: "2026-11-30T22:00:00.000Z", level: "info", msg: "event registered", component: "c=d", reason: evil, quote: 'say "hi"', tab: "a\tb", bs: "C:\\x" });
  // A field named like the line's own keys is dropped in text, never a second `level`.
  expect(formatLogLine("error", "m", { level: "restart-daemon", time: "t", msg: "n", ok: 1 }, text)).toBe("time=2026-11-30T22:00:00.000Z level=error msg=m ok=1");
});

test("journald: the syslog priority first, no time (journald stamps it)", () => {
  expect(formatLogLine("warn", "event core-dead", { component: "dp", recovery: "", reason: "core slot 0" }, { format: "text", journal: true, time }))
    .toBe('<4>level=warn msg="event core-dead" component=dp reason="core slot 0"');
});

test("json: every field (empty ones too), the line's own time/level/msg kept", () => {
  expect(formatLogLine("info", "event ready", { component: "zebra", recovery: "", reason: "started" }, { format: "json", journal: false, time }))
    .toBe('{"component":"zebra","recovery":"","reason":"started","time":"2026-11-30T22:00:00.000Z","level":"info","msg":"event ready"}');
  expect(JSON.parse(formatLogLine("error", "m", { level: "restart-daemon" }, { format: "json", journal: false, time })).level).toBe("error");
});

test("a real monitor's stderr: every line is one logfmt record with time, level and msg, and no empty field", async () => {
  const w = await startWatched(`[[component]]\nname = "steady"\nstart = ${demoArgv("steady")}\n`);
  try {
    await w.waitEvent((e) => e.component === "steady" && e.event === "registered", "registered");
  } finally {
    await w.close();
  }
  const lines = w.stderr().trimEnd().split("\n");
  expect(lines.length).toBeGreaterThan(3);
  for (const l of lines) {
    const r = parseLogfmt(l);
    expect(Object.keys(r).slice(0, 3)).toEqual(["time", "level", "msg"]);
    for (const v of Object.values(r)) expect(v).not.toBe("");
  }
  expect(lines.some((l) => /^time=\S+ level=info msg="event registered" component=steady reason="pid \d+/.test(l))).toBe(true);
});

/** A strict logfmt reader: key=bare or key="json-escaped", single spaces; throws on anything else. */
function parseLogfmt(line: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"=]+)( |$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < line.length && (m = re.exec(line))) out[m[1]!] = m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!;
  if (re.lastIndex !== line.length) throw new Error(`not logfmt at ${re.lastIndex}: ${line}`);
  return { ...out };
}
