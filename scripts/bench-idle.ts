/**
 * npm run bench:idle — where an idle monitor's wake-ups go. One monitor owns
 * --daemons plain daemons (`sleep infinity`, `ready = "started"`), settles
 * --settle seconds, then is watched --seconds: context switches per second of
 * each of its threads (each one a wake-up on an idle machine), its CPU, and
 * PSS split into anonymous and file-backed. --adopt: the monitor is killed
 * (-9) once the daemons run and a second one adopts them (the state after a
 * monitor restart); --subscriber: an event subscriber stays connected;
 * --binary: measure another build (e.g. an older commit's, for before/after);
 * --gc-timer-off: the runtime's own once-a-second collection timer disabled
 * (BUN_GC_TIMER_DISABLE=1, an environment switch the runtime reads at start), to show its
 * share of what remains: a measure, not how hamon is shipped.
 * --floor: the runtime's own floor in the same run, what no code of ours can
 * remove: a bare Bun program that listens on a UNIX socket, watched the same
 * way with no client and then with one connected client (the runtime arms a
 * once-a-second timer, the HTTP Date header's, whenever any socket is
 * connected, and its allocator's scavenger follows).
 * Options: --daemons N (50)  --settle S (30)  --seconds S (30)  --adopt  --subscriber  --binary PATH  --gc-timer-off  --floor
 */
import { parseArgs } from "node:util";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../src/library/session.ts";
import { startMonitor } from "../test/helpers/monitor-proc.ts";
import { processCpuTicks } from "../src/sys/proc.ts";
import { hamonArgv, idleDelta, threadCounters } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  daemons: { type: "string", default: "50" }, settle: { type: "string", default: "30" }, seconds: { type: "string", default: "30" },
  adopt: { type: "boolean", default: false }, subscriber: { type: "boolean", default: false }, binary: { type: "string" }, "gc-timer-off": { type: "boolean", default: false },
  floor: { type: "boolean", default: false },
} });
const dir = mkdtempSync(join(tmpdir(), "hamon-bench-idle-"));
const cfg = join(dir, "m.toml");
writeFileSync(cfg, Array.from({ length: Number(values.daemons) }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ["/bin/sleep", "infinity"]\nready = "started"\n`).join(""));
const argv = values.binary ? [values.binary] : hamonArgv(false);
const args = ["--config", cfg, "--state-dir", join(dir, "state"), "--log-level", "error"];
const env = values["gc-timer-off"] ? { BUN_GC_TIMER_DISABLE: "1" } : undefined;
let mon = await startMonitor(args, argv, undefined, env);
const sock = mon.sock; // the daemons' HAMON_SOCKET: how they are found and killed at the end
await Bun.sleep(2_000);
if (values.adopt) {
  mon.proc.kill("SIGKILL");
  await mon.proc.exited;
  mon = await startMonitor(args, argv, sock, env); // the same socket: the daemons are its by their mark
}
const sub = values.subscriber ? await Session.open(mon.sock, { role: "subscriber", onMessage: () => {} }) : null;
if (sub) await sub.request({ type: "subscribe", id: sub.nextId() });
await Bun.sleep(Number(values.settle) * 1000);

const pid = mon.proc.pid;
const S = Number(values.seconds);
const a = threadCounters([pid]), c0 = processCpuTicks(pid);
await Bun.sleep(S * 1000);
const b = threadCounters([pid]), c1 = processCpuTicks(pid);
const d = idleDelta(a, b, S);
const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
const mib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(t)?.[1] ?? 0) / 1024;
console.log(`== idle monitor: ${values.daemons} daemons${values.adopt ? ", adopted after a monitor kill -9" : ""}${values.subscriber ? ", a subscriber connected" : ""}${env ? ", the runtime's GC timer off" : ""}; ${values.settle} s settle, ${S} s watched; ${values.binary ?? "this tree's build"} ==`);
console.log(`wake-ups/s: ${d.wakeups.toFixed(2)} (${d.byThread || "none"}${d.ended ? `; ${d.ended} threads ended in the window` : ""})`);
console.log(`CPU ${d.cpuPct.toFixed(3)} % of a core (the kernel's run time of every thread, ns; in 10 ms ticks, threads that ended included: ${c1 - c0}); PSS ${mib("Pss").toFixed(1)} MiB = anonymous ${mib("Pss_Anon").toFixed(1)} + file-backed ${mib("Pss_File").toFixed(1)} MiB`);
sub?.close();
mon.proc.kill("SIGKILL");
// The daemons outlive the monitor (as they should): ours are the ones whose environment names its socket.
for (const p of readdirSync("/proc")) if (/^\d+$/.test(p)) try { if (readFileSync(`/proc/${p}/environ`, "utf8").includes(`HAMON_SOCKET=${sock}\0`)) process.kill(Number(p), "SIGKILL"); } catch { /* gone */ }

if (values.floor) {
  // The same runtime (this Bun), none of our code: a listener, then one connected client.
  const sockPath = join(dir, "floor.sock");
  writeFileSync(join(dir, "floor-server.ts"), `Bun.listen({ unix: ${JSON.stringify(sockPath)}, socket: { data() {} } });\nsetInterval(() => {}, 1 << 30);\n`);
  writeFileSync(join(dir, "floor-client.ts"), `await Bun.connect({ unix: ${JSON.stringify(sockPath)}, socket: { data() {} } });\nsetInterval(() => {}, 1 << 30);\n`);
  const server = Bun.spawn([process.execPath, join(dir, "floor-server.ts")], { stdout: "ignore", stderr: "inherit" });
  const watch = async (what: string) => {
    await Bun.sleep(Number(values.settle) * 1000);
    const a0 = threadCounters([server.pid]);
    await Bun.sleep(S * 1000);
    const f = idleDelta(a0, threadCounters([server.pid]), S);
    console.log(`runtime floor, ${what}: wake-ups/s ${f.wakeups.toFixed(2)} (${f.byThread || "none"}), CPU ${f.cpuPct.toFixed(3)} % of a core`);
  };
  await watch("a bare Bun UNIX listener, no client");
  const client = Bun.spawn([process.execPath, join(dir, "floor-client.ts")], { stdout: "ignore", stderr: "inherit" });
  await watch("the same with one client connected");
  client.kill("SIGKILL");
  server.kill("SIGKILL");
}
process.exit(0);
