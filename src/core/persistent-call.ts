import { setTimeout as sleep } from 'node:timers/promises';

const FIRST_DELAY_MS = 25;
const LONGEST_DELAY_MS = 1_000;

/**
 * Calls `call` until it settles without throwing, retrying with exponential backoff (25 ms doubling
 * to 1 s) for at most `budgetMs`; reports each failure. Resolves with the call's answer, or rejects
 * with the last error once the budget is spent. For store transitions that must not be lost to a
 * short blip: they are idempotent for their owner, so a retry is safe even if an earlier call ran.
 */
export async function callPersistently<T>(call: () => Promise<T>, budgetMs: number, onFailure: (error: unknown) => void): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, LONGEST_DELAY_MS)) {
    try {
      return await call();
    } catch (error) {
      onFailure(error);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw error;
      await sleep(Math.min(delay, remaining));
    }
  }
}
