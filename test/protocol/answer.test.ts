/** The relayed answer "HEALTH: DETAIL": written by the monitor's query verb, read by `hamon query` and the OCF agent. */
import { expect, test } from "bun:test";
import { formatAnswer, parseAnswer } from "../../src/protocol/answer.ts";

test.each([
  ["ok", "lsdb consistent"],
  ["degraded", "3 stale LSAs: more: colons"],
  ["failed", ""],
] as const)("%s round-trips", (health, detail) => {
  expect(parseAnswer(formatAnswer(health, detail))).toEqual({ health, detail });
});

test("anything without a known health reads as failed, detail kept whole", () => {
  expect(parseAnswer("oops")).toEqual({ health: "failed", detail: "oops" });
  expect(parseAnswer("fine: all good")).toEqual({ health: "failed", detail: "fine: all good" });
  expect(parseAnswer("okay: x")).toEqual({ health: "failed", detail: "okay: x" });
});

test("a detail at the text limit still relays: the answer is cut to 4,096 characters, never inside a surrogate pair", () => {
  const long = formatAnswer("degraded", "x".repeat(4096));
  expect(long.length).toBe(4096);
  expect(parseAnswer(long).health).toBe("degraded");
  // An emoji (two UTF-16 units) straddling the limit is dropped whole.
  const edge = formatAnswer("ok", `${"y".repeat(4096 - 4 - 1)}🚀tail`);
  expect(edge.length).toBe(4095);
  expect(edge.endsWith("y")).toBe(true);
  expect(() => new TextEncoder().encode(edge)).not.toThrow();
  expect(edge.isWellFormed()).toBe(true);
});
