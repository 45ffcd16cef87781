/**
 * After the suite: stop the daemons tests left running. Owned daemons outlive
 * their monitor by design (the next monitor adopts them), so a test that
 * stops its monitor leaves them behind; on a developer's machine they would
 * pile up run after run. Only daemons marked by a monitor or sidecar whose
 * socket lies in the tests' temporary directories (…/hamon-*) are touched,
 * and a test cluster's corosync (test/helpers/cluster-lab.ts: its config in
 * …/hamon-cluster-*), whose namespaces go with it.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MONITOR_OWNER_VAR, OWNER_VAR } from "../src/process/adopt.ts";
import { readdirSync, readFileSync } from "node:fs";

const prefix = join(tmpdir(), "hamon-");
let n = 0;
for (const entry of readdirSync("/proc")) {
  if (!/^[1-9][0-9]*$/.test(entry)) continue;
  let env: string;
  let argv: string;
  try {
    env = readFileSync(`/proc/${entry}/environ`, "utf8");
    argv = readFileSync(`/proc/${entry}/cmdline`, "utf8");
  } catch {
    continue;
  }
  const cluster = argv.startsWith("corosync\0") && argv.includes(`${join(tmpdir(), "hamon-cluster-")}`);
  // Marks are "NAME SOCKET" (process/adopt.ts).
  const marked = env.split("\0").some((kv) => {
    const eq = kv.indexOf("=");
    const variable = kv.slice(0, eq);
    return (variable === MONITOR_OWNER_VAR || variable === OWNER_VAR) && kv.slice(kv.indexOf(" ", eq) + 1).startsWith(prefix);
  });
  if (!marked && !cluster) continue;
  try {
    process.kill(Number(entry), "SIGKILL");
    n++;
  } catch {
    /* gone */
  }
}
if (n) console.log(`reaped ${n} daemon(s) the tests left running`);
