/**
 * A refused connection is held open until the peer speaks (or a linger
 * deadline), so the peer reads the error instead of a bare hang-up; at most
 * `max` are held, so a flood of silent connections cannot pile up descriptors.
 * Real UNIX sockets, the real listener.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Refusals } from "../../src/security/refusal.ts";
import { Session } from "../../src/library/session.ts";
import { HamonError } from "../../src/protocol/errors.ts";
import { listenUnix } from "../../src/transport/unix.ts";
import { until } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "hamon-refusal-"));
const path = join(dir, "refuse.sock");
const refusals = new Refusals(60_000, 3); // a linger far beyond the test: only a peer's words or the cap close
const listener = await listenUnix(path, (peer) => refusals.refuse(peer, "E_LIMIT", "full"));
afterAll(() => listener.stop());

test("a client that says hello reads E_LIMIT, every time (serial dials)", async () => {
  const codes: Record<string, number> = {};
  for (let i = 0; i < 500; i++) {
    try {
      await Session.open(path, { role: "client", timeoutMs: 3_000 });
      codes.welcomed = (codes.welcomed ?? 0) + 1;
    } catch (e) {
      const c = e instanceof HamonError ? e.code : "other";
      codes[c] = (codes[c] ?? 0) + 1;
    }
  }
  expect(codes).toEqual({ E_LIMIT: 500 });
  await until(() => refusals.count === 0, "every refusal closed");
});

test("silent connections: `max` are held, the rest closed at once; the held ones close when their peers go", async () => {
  let hungUp = 0; // seen by the clients
  const socks = await Promise.all(Array.from({ length: 8 }, () => Bun.connect({ unix: path, socket: { data() {}, close() { hungUp++; } } })));
  await until(() => refusals.count === 3 && hungUp === 5, "3 held, 5 closed");
  for (const s of socks) s.end();
  await until(() => refusals.count === 0 && hungUp === 8, "held ones released");
});
