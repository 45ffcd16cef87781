/** The throttle `hamon top` reads and draws through: counts, not times. */
import { expect, test } from "bun:test";
import { Throttle } from "../../src/cli/throttle.ts";
import { until } from "../helpers/wait.ts";

test("a burst of requests is one run; a request during an async run gives exactly one more run after it", async () => {
  let runs = 0;
  let release!: () => void;
  const t = new Throttle(() => {
    runs++;
    return runs === 1 ? new Promise<void>((r) => (release = r)) : undefined;
  }, 20);
  for (let i = 0; i < 100; i++) t.request();
  await until(() => runs === 1, "the first run");
  for (let i = 0; i < 100; i++) t.request(); // while it runs: coalesced into one more
  release();
  await until(() => runs === 2, "one more run after it");
  await Bun.sleep(60);
  expect(runs).toBe(2);
  t.stop();
  t.request();
  await Bun.sleep(60);
  expect(runs).toBe(2); // stopped: nothing more
});
