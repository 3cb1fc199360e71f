/** What the page shows live besides the ledger. */
export interface Counters {
  /** Payment API requests the server received (GraphQL and tRPC), retries included. */
  requests: number;
  /** Responses the flaky network switch threw away after the mutation ran. */
  lostResponses: number;
  /** Requests answered from a stored idempotency record instead of running the mutation. */
  replayed: number;
}

/** Fresh counters, all zero. */
export function zeroCounters(): Counters {
  return { requests: 0, lostResponses: 0, replayed: 0 };
}
