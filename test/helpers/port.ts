/** A TCP port free on 127.0.0.1 right now (bound, read, released): for a test's listener or probe. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}
