/**
 * The monitor waits DELEGATE_TIMEOUT_MS (src/monitor/actions.ts, 30 s) for a
 * component to answer a restart action; a sidecar's SIGTERM → SIGKILL delay is
 * capped well below it so the answer (stop + start) always arrives in time.
 */
export const DELEGATE_STOP_BUDGET_MS = 20_000;
