/**
 * npm run bench:idle — where an idle monitor's wake-ups go. One monitor owns
 * --daemons plain daemons (`sleep infinity`, `ready = "started"`), settles
 * --settle seconds, then is watched --seconds: context switches per second of
 * each of its threads (each one a wake-up on an idle machine), its CPU, and
 * PSS split into anonymous and file-backed. --adopt: the monitor is killed
 * (-9) once the daemons run and a second one adopts them (the state after a
 * monitor restart); --subscriber: an event subscriber stays connected;
 * --binary: measure another build (e.g. an older commit's, for before/after).
 * Options: --daemons N (50)  --settle S (30)  --seconds S (30)  --adopt  --subscriber  --binary PATH
 */
import { parseArgs } from "node:util";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "../src/library/session.ts";
import { processCpuTicks } from "../src/sys/proc.ts";
import { startMonitor } from "../test/helpers/monitor-proc.ts";
import { hamonArgv } from "./bench-lib.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: {
  daemons: { type: "string", default: "50" }, settle: { type: "string", default: "30" }, seconds: { type: "string", default: "30" },
  adopt: { type: "boolean", default: false }, subscriber: { type: "boolean", default: false }, binary: { type: "string" },
} });
const dir = mkdtempSync(join(tmpdir(), "hamon-bench-idle-"));
const cfg = join(dir, "m.toml");
writeFileSync(cfg, Array.from({ length: Number(values.daemons) }, (_, i) => `[[component]]\nname = "d${i}"\nstart = ["/bin/sleep", "infinity"]\nready = "started"\n`).join(""));
const argv = values.binary ? [values.binary] : hamonArgv(false);
const args = ["--config", cfg, "--state-dir", join(dir, "state"), "--log-level", "error"];
let mon = await startMonitor(args, argv);
const sock = mon.sock; // the daemons' HAMON_SOCKET: how they are found and killed at the end
await Bun.sleep(2_000);
if (values.adopt) {
  mon.proc.kill("SIGKILL");
  await mon.proc.exited;
  mon = await startMonitor(args, argv, sock); // the same socket: the daemons are its by their mark
}
const sub = values.subscriber ? await Session.open(mon.sock, { role: "subscriber", onMessage: () => {} }) : null;
if (sub) await sub.request({ type: "subscribe", id: sub.nextId() });
await Bun.sleep(Number(values.settle) * 1000);

const pid = mon.proc.pid;
/** Context switches per thread (by tid, with its name). */
const switches = () => {
  const m = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      m.set(`${/^Name:\s+(.*)$/m.exec(st)?.[1]} (${tid})`, Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1]));
    } catch { /* the thread ended */ }
  }
  return m;
};
const S = Number(values.seconds);
const a = switches(), c0 = processCpuTicks(pid);
await Bun.sleep(S * 1000);
const b = switches(), c1 = processCpuTicks(pid);
const rows = [...b].filter(([k]) => a.has(k)).map(([k, v]) => [k, (v - a.get(k)!) / S] as const).filter(([, r]) => r > 0).sort((x, y) => y[1] - x[1]);
const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
const mib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(t)?.[1] ?? 0) / 1024;
console.log(`== idle monitor: ${values.daemons} daemons${values.adopt ? ", adopted after a monitor kill -9" : ""}${values.subscriber ? ", a subscriber connected" : ""}; ${values.settle} s settle, ${S} s watched; ${values.binary ?? "this tree's build"} ==`);
console.log(`wake-ups/s: ${rows.reduce((x, [, r]) => x + r, 0).toFixed(2)} (${rows.map(([k, r]) => `${k} ${r.toFixed(2)}`).join(", ") || "none"})`);
console.log(`CPU ${(((c1 - c0) / (S * 100)) * 100).toFixed(3)} % of a core (ticks of 10 ms: ${c1 - c0}); PSS ${mib("Pss").toFixed(1)} MiB = anonymous ${mib("Pss_Anon").toFixed(1)} + file-backed ${mib("Pss_File").toFixed(1)} MiB`);
sub?.close();
mon.proc.kill("SIGKILL");
// The daemons outlive the monitor (as they should): ours are the ones whose environment names its socket.
for (const p of readdirSync("/proc")) if (/^\d+$/.test(p)) try { if (readFileSync(`/proc/${p}/environ`, "utf8").includes(`HAMON_SOCKET=${sock}\0`)) process.kill(Number(p), "SIGKILL"); } catch { /* gone */ }
process.exit(0);
