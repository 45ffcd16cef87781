/**
 * The types the monitor's rooms share without importing each other: a verb
 * call (one per request, as hono passes one context per call), the replies a
 * verb may give, and what `show` reads. Each helper declares its own narrow
 * dependencies next to it (life.ts LifeDeps, intake.ts IntakeDeps, …); the
 * core composes them (core.ts), and none of them imports core.ts.
 */
import type { EngineState } from "../engine/decide.ts";
import type { ComponentPolicy } from "../engine/policy.ts";
import type { ErrorCode } from "../protocol/errors.ts";
import type { MessageOf } from "../protocol/messages.ts";
import type { CheckTable } from "./checks.ts";
import type { Conn, Registry } from "./registry.ts";

/** The dispatcher's replies a verb uses. */
export interface Replies {
  fail(conn: Conn, id: number, code: ErrorCode, message: string, close: boolean): void;
  /** "uid U gid G pid P" of a connection, for events. */
  who(conn: Conn): string;
  /** A result, in several frames when it does not fit in one. */
  sendResult(conn: Conn, m: MessageOf<"result">): void;
}

/** One request for a verb: who asked, what, when, and how to answer. */
export interface VerbCall {
  readonly conn: Conn;
  readonly m: MessageOf<"command">;
  readonly now: number;
  readonly replies: Replies;
}

/** Answers a verb call (verbs.ts: one handler per verb name, in one table). */
export type VerbRouter = (call: VerbCall) => void;

/** What `show NAME` reads. */
export interface DetailContext {
  readonly registry: Registry;
  readonly engine: EngineState;
  readonly checks: CheckTable;
  policyOf(name: string): ComponentPolicy;
}
