/**
 * src/c/hamon_heartbeat.h as a DPDK program includes it: in every include
 * order, as C11 (strict with -D_DEFAULT_SOURCE, gnu11, with DPDK's own
 * -D_GNU_SOURCE) and as C++17, warning-free with -Wall -Wextra -Werror
 * -pedantic; then one program run through its whole life cycle.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN } from "../helpers/monitor-proc.ts";

const INC = join(import.meta.dir, "..", "..", "src", "c");
const dir = mkdtempSync(join(tmpdir(), "hamon-hdr-"));

const BODY = `
int main(int argc, char **argv) {
  struct hamon_hb hb;
  if (argc < 2) return 2;
  int r = hamon_hb_create(&hb, argv[1], 4, HAMON_HB_SEALED_MEMFD);
  if (r != 0) return 10;
  for (uint32_t i = 0; i < 2; i++) hamon_hb_set_meta(&hb, i, i, 0, "rx");
  if (hamon_hb_publish(&hb) != 0) return 11;
  for (uint32_t i = 0; i < 2; i++) { hamon_hb_launch(&hb, i); hamon_hb_beat(&hb, i); hamon_hb_beat_n(&hb, i, 7); }
  hamon_hb_exit(&hb, 0);
  hamon_hb_stopping(&hb);
  hamon_hb_stop(&hb);
  if (hb.slots[1].state != HAMON_HB_EXITED || hb.hdr->writer_state != HAMON_HB_W_STOPPED_CLEAN) return 12;
  if (((uintptr_t)&hb.local[1]) % 64 != 0) return 13;
  if (argc > 2) { printf("published\\n"); fflush(stdout); getchar(); }
  hamon_hb_close(&hb);
  return 0;
}
`;
const ORDERS: [string, string][] = [
  ["header first", `#include "hamon_heartbeat.h"\n#include <stdio.h>\n#include <fcntl.h>\n#include <sys/mman.h>\n`],
  ["after libc headers", `#include <stdio.h>\n#include <fcntl.h>\n#include <sys/mman.h>\n#include <stdint.h>\n#include "hamon_heartbeat.h"\n`],
  ["after <unistd.h> only", `#include <unistd.h>\n#include "hamon_heartbeat.h"\n`],
];
const MODES: [string, string, string[]][] = [
  ["C11 strict + _DEFAULT_SOURCE", "cc", ["-std=c11", "-D_DEFAULT_SOURCE"]],
  ["gnu11", "cc", ["-std=gnu11"]],
  ["C11 + -D_GNU_SOURCE (DPDK's build)", "cc", ["-std=c11", "-D_GNU_SOURCE"]],
  ["C++17", "g++", ["-std=c++17"]],
];

for (const [mode, cc, flags] of MODES) {
  for (const [order, head] of ORDERS) {
    test(`${mode}, ${order}: compiles with -Wall -Wextra -Werror -pedantic`, () => {
      const ext = cc === "g++" ? "cc" : "c";
      const src = join(dir, `${mode}-${order}`.replace(/[^a-z0-9]+/gi, "_") + `.${ext}`);
      writeFileSync(src, head + BODY);
      const r = Bun.spawnSync([cc, ...flags, "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", INC, src, "-o", `${src}.out`], { stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      expect(r.exitCode).toBe(0);
    });
  }
}

test("the life cycle: published (hamon heartbeat reads it, spare slots unused), exited, stopped clean, the memfd link removed on close", async () => {
  const src = join(dir, "life.c");
  writeFileSync(src, ORDERS[1]![1] + BODY);
  const bin = `${src}.out`;
  expect(Bun.spawnSync(["cc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I", INC, src, "-o", bin]).exitCode).toBe(0);
  const path = join(dir, "hb");
  const p = Bun.spawn([bin, path, "wait"], { stdin: "pipe", stdout: "pipe" });
  const reader = p.stdout.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toContain("published");
  const look = Bun.spawnSync([process.execPath, MAIN, "heartbeat", path, "--watch", "50", "--json"]);
  const j = JSON.parse(look.stdout.toString());
  expect(j.invalid).toBeNull();
  expect(j.cores.map((c: { state: string }) => c.state)).toEqual(["exited", "exited", "unused", "unused"]);
  expect(j.cores.every((c: { verdict: string }) => c.verdict === "unmonitored")).toBe(true);
  p.stdin.write("\n");
  await p.stdin.flush();
  expect(await p.exited).toBe(0);
  expect(existsSync(path)).toBe(false);
});
