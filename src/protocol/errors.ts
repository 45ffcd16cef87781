/**
 * The closed set of error codes hamon speaks: on the wire (`<error code="…">`),
 * in logs, and in exit statuses. The numbers are part of the protocol contract
 * (docs/protocol.md §Errors) and never change meaning.
 *
 * @example
 *   throw new HamonError("E_INVALID", "attribute 'plane' must be control|fast|system, got 'data'");
 */
export const ERROR_CODES = {
  E_MALFORMED: 1, // not well-formed XML, forbidden construct, bad UTF-8
  E_TOO_LARGE: 2, // frame above the maximum: the connection is closed
  E_VERSION: 3, // no protocol version in common: the connection is closed
  E_UNKNOWN: 4, // well-formed, but not a message this protocol knows
  E_INVALID: 5, // a known message with a missing or invalid attribute
  E_STATE: 6, // valid message, wrong moment (e.g. report before register)
  E_NAME_TAKEN: 7, // the component name is held by another live connection
  E_NOT_FOUND: 8, // no such component
  E_DENIED: 9, // the peer is not allowed to do this
  E_LIMIT: 10, // a resource limit was hit (connections, rate, queue)
  E_TIMEOUT: 11, // the peer did not answer in time
  E_INTERNAL: 12, // a bug in hamon: logged with details
  E_UNAVAILABLE: 13, // the monitor could not be reached
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERROR_CODES, s);
}

/** The one error class of hamon: a code from ERROR_CODES and a message naming the bad value. */
export class HamonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "HamonError";
  }
}
