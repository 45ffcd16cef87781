/**
 * The operator's terminal for a full-screen view (`hamon top`): the
 * alternate screen with the cursor hidden, raw input (so `q` needs no Enter
 * and Ctrl-C arrives as a key), one write(2) per frame, resize
 * notifications; and the way back: line mode, the cursor and the original
 * screen, restored on close and also if the process exits without closing.
 */
import { writeSync } from "node:fs";
import type { TopTerminal } from "./top.ts";

const ENTER = "\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J"; // alternate screen, cursor hidden
const LEAVE = "\u001b[?25h\u001b[?1049l"; // cursor shown, the original screen back
/** q, Q, Ctrl-C (raw mode: the terminal sends no SIGINT), Ctrl-D. */
const QUIT_KEYS = [0x71, 0x51, 0x03, 0x04];

export interface FullScreen {
  readonly term: TopTerminal;
  /** Resolves when the operator presses a quit key. */
  readonly quit: Promise<void>;
  close(): void;
}

/** Null when stdin and stdout are not both a terminal. */
export function openFullScreen(): FullScreen | null {
  if (!process.stdout.isTTY || !process.stdin.isTTY) return null;
  const write = (s: string): void => {
    writeSync(1, s); // one call per frame: writeSync finishes a short write itself
  };
  const stdin = process.stdin;
  let quit!: () => void;
  const quitP = new Promise<void>((resolve) => (quit = resolve));
  const onKey = (b: Buffer): void => {
    if (QUIT_KEYS.some((k) => b.includes(k))) quit();
  };
  let open = true;
  const restore = (): void => {
    if (!open) return;
    open = false;
    try {
      stdin.setRawMode(false);
    } catch {
      /* the terminal is gone */
    }
    write(LEAVE);
  };
  stdin.setRawMode(true);
  stdin.on("data", onKey);
  stdin.resume();
  process.once("exit", restore); // even on an exception, the operator's terminal comes back
  write(ENTER);
  return {
    quit: quitP,
    term: {
      size: () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
      write,
      onResize: (cb) => void process.stdout.on("resize", cb),
    },
    close() {
      process.removeListener("exit", restore);
      restore();
      stdin.off("data", onKey);
      stdin.pause();
    },
  };
}
