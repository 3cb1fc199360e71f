/** Every kind of {@link IdempotencyEvent}. */
export type IdempotencyEventType =
  /** The operation ran and its result was stored. */
  | 'executed'
  /** A stored result was returned; the operation did not run. */
  | 'replayed'
  /** A repeat arrived while the first attempt was still running. */
  | 'conflict'
  /** The key was reused with other input. */
  | 'mismatch'
  /** The operation failed unexpectedly (or `shouldStore` said no) and the record was freed. */
  | 'released'
  /** An expired lease of a crashed or stalled owner was taken over. */
  | 'takeover'
  /** An owner that had lost its lease tried to complete or release; the store refused. */
  | 'stale-completion'
  /** The result was larger than `maxResultBytes`, or not serializable, and was not stored; repeats get a 500. */
  | 'result-not-stored'
  /** A keyed operation ran without idempotency because `scope` returned `undefined` (no caller identity). */
  | 'unscoped'
  /** The store failed; `error` says how. */
  | 'store-error';

/** Emitted through the `onEvent` option, for logging and metrics. Holds no raw key, scope or input. */
export interface IdempotencyEvent {
  type: IdempotencyEventType;
  /** The operation: GraphQL root field(s) or tRPC procedure path. */
  operation: string;
  /** Hashed record id, the same that names the record in the store (empty for `unscoped`). */
  recordId: string;
  /** Fencing token of the acquisition, where there was one. */
  fence?: number;
  /** The underlying error, for `store-error` and `result-not-stored`. */
  error?: unknown;
}

/** Receives every {@link IdempotencyEvent}. Exceptions it throws are swallowed. */
export type IdempotencyEventHandler = (event: IdempotencyEvent) => void;
