/** What the page shows live besides the ledger. */
export interface Counters {
  /** Payment API requests the playground received (GraphQL and tRPC, either instance), retries included. */
  requests: number;
  /** Responses the flaky network switch threw away after the mutation ran. */
  lostResponses: number;
  /** Requests answered from a stored idempotency record instead of running the mutation. */
  replayed: number;
  /** Requests answered 409: another attempt with the same key still held its lease. */
  conflicts: number;
  /** Requests answered 422: the key was used before with other input. */
  mismatches: number;
  /** Attempts that took over the record of a killed instance (fence 2 and up). */
  takeovers: number;
}

/** Fresh counters, all zero. */
export function zeroCounters(): Counters {
  return { requests: 0, lostResponses: 0, replayed: 0, conflicts: 0, mismatches: 0, takeovers: 0 };
}
