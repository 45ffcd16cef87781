/**
 * Probe specs as the configuration and the sidecar's flags write them: where
 * a connect probe goes. Parsed here, where the configuration is read;
 * probes/connect.ts runs them.
 *
 *   tcp://HOST:PORT     tcp://127.0.0.1:179, tcp://[::1]:2601
 *   unix:PATH           unix:/run/frr/zserv.api
 */
export type Probe = { kind: "tcp"; host: string; port: number; spec: string } | { kind: "unix"; path: string; spec: string };

/** Parses a probe spec; throws an Error whose message names what is wrong. */
export function parseProbe(spec: string): Probe {
  if (spec.startsWith("unix:")) {
    const path = spec.slice(5);
    if (!path.startsWith("/")) throw new Error(`probe '${spec}': unix:PATH needs an absolute path`);
    return { kind: "unix", path, spec };
  }
  const m = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(spec);
  if (!m) throw new Error(`probe '${spec}': expected tcp://HOST:PORT or unix:PATH`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`probe '${spec}': port must be 1..65535`);
  return { kind: "tcp", host: m[1]!.replace(/^\[|\]$/g, ""), port, spec };
}
