/**
 * Hard limits of wire protocol v1. A peer that exceeds one gets E_TOO_LARGE /
 * E_MALFORMED; the numbers are documented in docs/protocol.md and a C
 * implementation must respect them too.
 */
export const PROTOCOL_VERSION = 1;
/** Versions this build can speak, oldest first. */
export const SUPPORTED_VERSIONS: readonly number[] = [1];
/** Largest XML document in one frame (the 4-byte length prefix not included). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Bytes of the big-endian length prefix. */
export const FRAME_HEADER_BYTES = 4;
/** Deepest element nesting accepted (root = depth 1). */
export const MAX_DEPTH = 8;
/** Most attributes on one element. */
export const MAX_ATTRIBUTES = 32;
/** Most elements in one document. */
export const MAX_ELEMENTS = 4096;
/** Longest element or attribute name. */
export const MAX_NAME_BYTES = 64;
/** Component names: what may appear in `name=` (no path separators, no shell metacharacters). */
export const COMPONENT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Malformed frames tolerated on one connection before the monitor disconnects it. */
export const MAX_BAD_FRAMES = 8;
/** Pending outgoing bytes per connection before a peer that does not read is cut off. */
export const MAX_PENDING_WRITE_BYTES = 1024 * 1024;
/** The same for a subscriber: events are small, one that falls this far behind is dropped (it can re-subscribe). */
export const MAX_SUBSCRIBER_PENDING_BYTES = 256 * 1024;
/** A connection must send its <hello> within this long of connecting, or it is closed (E_TIMEOUT). */
export const HELLO_DEADLINE_MS = 5_000;
/** A frame whose first bytes arrived must be complete within this long (a byte-a-second trickle is closed, E_TIMEOUT). */
export const FRAME_DEADLINE_MS = 5_000;

/** A component asked for an action (`query kind="action"`: restart, stop) gets this long to answer (protocol.md §5.2). */
export const ACTION_TIMEOUT_MS = 30_000;
/** A sidecar's SIGTERM → SIGKILL delay is capped well below ACTION_TIMEOUT_MS, so stop + start always answer in time. */
export const SIDECAR_MAX_STOP_MS = 20_000;
