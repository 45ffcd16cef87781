/** Flags shared by several commands, defined once (citty arg definitions). */
export const socketArg = { socket: { type: "string", alias: "s", description: "Monitor socket path (default: $HAMON_SOCKET, /run/hamon/hamon.sock as root)", valueHint: "PATH" } } as const;
export const timeoutArg = { timeout: { type: "string", alias: "t", description: "Give up after this many milliseconds (default 5000)", valueHint: "MS" } } as const;
export const jsonArg = { json: { type: "boolean", description: "Machine-readable JSON (stable, additive schema)" } } as const;
export const xmlArg = { xml: { type: "boolean", description: "The monitor's <result> document (schema: docs/hamon-v1.xsd)" } } as const;
