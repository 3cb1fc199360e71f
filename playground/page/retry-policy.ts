/** Attempts per payment, the first one included, for both client helpers. */
export const MAX_ATTEMPTS = 4;

/** Backoff base: retry n waits about `RETRY_BASE_DELAY_MS * 2^(n-1)`. */
export const RETRY_BASE_DELAY_MS = 150;

/** Wait before tRPC retry number `attempt` (1-based): 150 ms, 300 ms, 600 ms. */
export function retryDelayMs(attempt: number): number {
  return RETRY_BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1);
}
