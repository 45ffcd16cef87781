/**
 * The public API of the component library: `import { Component } from "hamon"`.
 * Everything else under src/ is internal and may change between releases.
 */
export { Component, type ComponentOptions, type QueryAnswer, type QueryRequest } from "./component.ts";
export { Session, type SessionOptions } from "./session.ts";
export { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";
export { HamonError, ERROR_CODES, type ErrorCode } from "../protocol/errors.ts";
export type { CheckSpec, Health, Kind, Level, Plane, QueryKind, Message } from "../protocol/messages.ts";
export { LEVELS } from "../protocol/messages.ts";
