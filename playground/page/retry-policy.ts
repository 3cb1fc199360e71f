/** Attempts per payment, the first one included, for both client helpers: enough to outlast a killed instance's lease. */
export const MAX_ATTEMPTS = 8;

/** Backoff base: retry n waits about `RETRY_BASE_DELAY_MS * 2^(n-1)` (the fetch helper draws a random time up to that). */
export const RETRY_BASE_DELAY_MS = 150;

/** The server's `Retry-After` on a 409, which the fetch helper honours; the tRPC retry waits as long. */
export const CONFLICT_DELAY_MS = 1_000;

/** Wait before tRPC retry number `attempt` (0-based): 1 s after a 409, else 150 ms, 300 ms, 600 ms, then 1 s. */
export function trpcRetryDelayMs(attempt: number, afterConflict: boolean): number {
  return afterConflict ? CONFLICT_DELAY_MS : Math.min(CONFLICT_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** attempt);
}
