/** The process-control suite (suite.ts) against the real processes and the fake. */
import { realProcesses } from "../../src/process/control.ts";
import { FakeProcesses } from "../../src/process/fake.ts";
import { readFileSync } from "node:fs";
import { until } from "../helpers/wait.ts";
import { processControlSuite } from "./suite.ts";

processControlSuite("real", () => ({
  pc: realProcesses,
  programs: {
    exit3: ["sh", "-c", "exit 3"],
    sleep: ["sleep", "60"],
    ignoreTerm: ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"],
    missing: ["/nonexistent/hamon-no-such-binary"],
  },
  vanish: (pid) => process.kill(pid, "SIGKILL"),
  crash: (pid) => process.kill(pid, "SIGKILL"),
  // SigIgn in /proc/PID/status: bit 14 (signal 15, SIGTERM) once the shell ran its trap.
  ignoringTerm: (pid) => until(() => (BigInt(`0x${/SigIgn:\s+([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "0"}`) & 0x4000n) !== 0n, "SIGTERM ignored"),
}));

processControlSuite("fake", () => {
  const pc = new FakeProcesses();
  return { pc, programs: { exit3: ["exit", "3"], sleep: ["sleep"], ignoreTerm: ["ignore-term"], missing: ["missing"] }, vanish: (pid) => pc.vanish(pid), crash: (pid) => pc.kill(pid), ignoringTerm: async () => {} };
});
