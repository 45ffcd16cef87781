/** The ring through which the main thread tells the death watcher (death-worker.ts) what to watch: [0] head, then (op, pid) pairs. */
export const RING_CAPACITY = 16_384;
export const OP_ADD = 1;
export const OP_REMOVE = 2;
export const OP_STOP = 3;
