/**
 * UNIX datagrams for tests and benchmarks (the DPDK example's control
 * socket). Bun has no datagram client, so one resident python3 sends each
 * "PATH MESSAGE" line it reads: sending never blocks the caller's loop on a
 * spawn, which a latency benchmark would measure.
 */
export class DatagramSender {
  private readonly p = Bun.spawn(["python3", "-u", "-c", [
    "import socket,sys",
    "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)",
    "for l in sys.stdin:",
    "  p,m=l.rstrip('\\n').split(' ',1)",
    "  try: s.sendto(m.encode(),p)",
    "  except OSError as e: print(f'datagram to {p}: {e}',file=sys.stderr,flush=True)",
  ].join("\n")], { stdin: "pipe", stdout: "ignore", stderr: "inherit" });

  send(path: string, message: string): void {
    if (/[\s]/.test(path) || message.includes("\n")) throw new Error(`datagram: path without spaces and a one-line message, got ${JSON.stringify([path, message])}`);
    this.p.stdin.write(`${path} ${message}\n`);
    void this.p.stdin.flush();
  }

  async close(): Promise<void> {
    void this.p.stdin.end();
    await this.p.exited;
  }
}
