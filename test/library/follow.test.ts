/**
 * Following the event stream through a monitor restart (src/library/follow.ts):
 * the new monitor's first events are said within milliseconds of its start,
 * before the follower's next attempt (every FOLLOW_RETRY_MS); it reconnects
 * with `since` and gets them replayed, each once, in `seq` order.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { followEvents } from "../../src/library/follow.ts";
import type { MessageOf } from "../../src/protocol/messages.ts";
import { startMonitor, type MonitorProc } from "../helpers/monitor-proc.ts";
import { until } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "hamon-follow-"));
const sock = join(dir, "hamon.sock");
const cfg = join(dir, "hamon.toml");
writeFileSync(cfg, `[[component]]\nname = "sleeper"\nstart = ["/bin/sleep", "1000.125"]\nready = "started"\n`);
const args = ["--config", cfg, "--state-dir", join(dir, "state")];
const running: MonitorProc[] = [];
afterAll(async () => {
  for (const m of running) await m.stop().catch(() => 0);
  Bun.spawnSync(["pkill", "-KILL", "-f", "^/bin/sleep 1000.125$"]); // a monitor's stop leaves its daemons to the next one
});

test("a follower riding through a monitor restart gets the new monitor's first events (said before it reconnected), each once, in seq order", async () => {
  const got: MessageOf<"event">[] = [];
  const notes: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const first = await startMonitor(args, undefined, sock);
  running.push(first);
  const following = followEvents(sock, (e) => got.push(e), (n) => notes.push(n), stopped, 0);
  // since 0: the first monitor's events from its start (its discovery window ends as soon as its one daemon is up).
  await until(() => got.some((e) => e.event === "discovery-complete"), "first monitor's discovery-complete", 15_000, () => JSON.stringify(got));
  const before = got.length;
  await first.stop();
  const second = await startMonitor(args, undefined, sock);
  running.push(second);
  await until(() => notes.includes("reconnected") && got.slice(before).some((e) => e.event === "discovery-complete"), "the second monitor's discovery-complete", 15_000, () => `${notes.join("; ")} ${JSON.stringify(got.slice(before))}`);
  const after = got.slice(before);
  // The second monitor's first event: the daemon it adopted (or started again), said within its first milliseconds.
  expect(after.some((e) => e.component === "sleeper" && (e.event === "adopted" || e.event === "started"))).toBe(true);
  const seqs = got.map((e) => e.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);
  stop();
  expect(await following).toEqual({ ok: true });
}, 60_000);
