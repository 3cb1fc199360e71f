/**
 * The flaky network: remembers which idempotency keys already had a response thrown away, so
 * exactly the first successful (2xx) response to each key is lost and the client's retry gets through.
 */
export interface LostResponses {
  /** True the first time a key is seen (that response is to be lost), false afterwards. */
  loseFirst(key: string): boolean;
  reset(): void;
}

/** Keys remembered at most; older ones are forgotten (they belong to long-finished clicks). */
const MAX_KEYS = 10_000;

export function createLostResponses(): LostResponses {
  const seen = new Set<string>();
  return {
    loseFirst(key) {
      if (seen.has(key)) return false;
      if (seen.size >= MAX_KEYS) seen.clear();
      seen.add(key);
      return true;
    },
    reset: () => seen.clear(),
  };
}
