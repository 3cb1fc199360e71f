/**
 * Wait before retry `attempt` (0 for the first retry): "full jitter" exponential backoff, a random
 * time between 0 and `min(maxDelay, baseDelay * 2^attempt)` milliseconds.
 */
export function backoffDelay(
  attempt: number,
  baseDelay: number,
  maxDelay: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxDelay, baseDelay * 2 ** attempt));
}

/**
 * Milliseconds a `Retry-After` header asks for (delay-seconds or an HTTP date), capped at
 * `maxDelay`; `undefined` when the header is missing or unreadable.
 */
export function retryAfterDelay(header: string | null, maxDelay: number, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), maxDelay);
}

/** Resolves after `ms` milliseconds; rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
