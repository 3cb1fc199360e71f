import { setTimeout as sleep } from 'node:timers/promises';

const FIRST_DELAY_MS = 25;

/**
 * Calls `call` until it settles without throwing, retrying with exponential backoff (25 ms doubling
 * up to `longestDelayMs`) for at most `budgetMs`; reports each failure. Resolves with the call's
 * answer, or rejects with the last error once the budget is spent. For store transitions that must
 * not be lost to a short blip: they are idempotent for their owner, so a retry is safe even if an
 * earlier call ran. Keep `longestDelayMs` well under the lease, so the call lands soon after the
 * store is back, before the lease can lapse.
 */
export async function callPersistently<T>(
  call: () => Promise<T>,
  budgetMs: number,
  longestDelayMs: number,
  onFailure: (error: unknown) => void,
): Promise<T> {
  const deadline = performance.now() + budgetMs;
  for (let delay = Math.min(FIRST_DELAY_MS, longestDelayMs); ; delay = Math.min(delay * 2, longestDelayMs)) {
    try {
      return await call();
    } catch (error) {
      onFailure(error);
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw error;
      await sleep(Math.min(delay, remaining));
    }
  }
}
