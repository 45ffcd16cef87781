/** Waiting without timed assertions: poll a condition, fail with a description (and optional detail) after a generous deadline. */
import type { Socket, SocketHandler } from "bun";

/** The deadline is on the monotonic clock: a VM's wall clock is stepped now and then (seconds at a time). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000, detail: () => string = () => ""): Promise<void> {
  for (const end = performance.now() + ms; !(await cond()); await Bun.sleep(5)) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}${detail() ? `; ${detail()}` : ""}`);
  }
}

/** Connects like a real client under load: a full accept backlog is retried, not fatal. */
export async function connectRetry(unix: string, socket: SocketHandler<undefined>, attempts = 200): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Bun.connect({ unix, socket });
    } catch (e) {
      if (attempt >= attempts) throw e;
      await Bun.sleep(5);
    }
  }
}

/** Whether `pid` exists (kill 0: a zombie counts; see test/attacks/pidfile.test.ts for the strict reading). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
