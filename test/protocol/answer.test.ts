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
