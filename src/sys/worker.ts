/**
 * Starting one of hamon's Worker threads (the daemon-log writer, the
 * metrics endpoint) from source and from the compiled binary alike. Compiled,
 * each worker is an entry point of its own (build.ts lists it), named by its
 * path under src/; from source, it is the file beside its caller.
 *
 * @example
 *   const w = startWorker("./adapters/metrics-worker.ts", new URL("./metrics-worker.ts", import.meta.url));
 */
export function startWorker(underSrc: string, fromSource: URL): Worker {
  const spec = Bun.main.startsWith("/$bunfs/") ? underSrc : fromSource.href;
  const w = new Worker(spec);
  w.unref(); // a worker never keeps a process alive by itself
  return w;
}
