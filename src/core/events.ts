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
  /** The body threw an unexpected or transient error (or `shouldStore` said no) and the record was freed. */
  | 'released'
  /** An expired lease of a crashed or stalled owner was taken over. */
  | 'takeover'
  /** An owner that had lost its lease tried to complete or release; the store refused. */
  | 'stale-completion'
  /** The result was larger than `maxResultBytes`, not serializable or streamed, and was not stored; repeats get a 500. */
  | 'result-not-stored'
  /** A keyed request was refused because `scope` gave no caller identity. */
  | 'scope-missing'
  /** A running attempt reached `maxRunTime`: its lease is no longer renewed, so a retry may take it over once it lapses. */
  | 'run-limit-exceeded'
  /** A user's `shouldStore` threw; the default policy decided instead. `error` says how. */
  | 'policy-error'
  /** The store failed; `error` says how. */
  | 'store-error';

/** Emitted through the `onEvent` option, for logging and metrics. Holds no raw key, scope or input. */
export interface IdempotencyEvent {
  type: IdempotencyEventType;
  /** The operation: GraphQL root field(s) or tRPC procedure path. */
  operation: string;
  /** Hashed record id, the same that names the record in the store (empty for `scope-missing`). */
  recordId: string;
  /** Fencing token of the acquisition, where there was one. */
  fence?: number;
  /** The underlying error, for `store-error`, `policy-error` and `result-not-stored`. */
  error?: unknown;
}

/** Receives every {@link IdempotencyEvent}. Exceptions it throws are swallowed. */
export type IdempotencyEventHandler = (event: IdempotencyEvent) => void;
