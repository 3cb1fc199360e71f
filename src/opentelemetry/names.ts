/** The instrumentation scope: tracer and meter are named after the package, with its version. */
export const instrumentationScope = { name: 'idempotent-mutations', version: '0.1.0' } as const;

/** Names of the metrics, and the unit each is recorded in. */
export const idempotencyMetrics = {
  /** Counter (`{operation}`): one per keyed execution, when it ends, by `idempotency.operation` and `idempotency.outcome`. */
  operations: 'idempotency.operations',
  /** Counter (`{takeover}`): expired leases taken over, by `idempotency.operation`. */
  takeovers: 'idempotency.takeovers',
  /** Counter (`{error}`): failed store calls, retried ones included, by `idempotency.operation` and `error.type`. */
  storeErrors: 'idempotency.store.errors',
  /** Histogram (`ms`): duration of one store call, by `idempotency.store.transition` (and `error.type` when it failed). */
  storeDuration: 'idempotency.store.duration',
} as const;

/** Names of the attributes on spans, span events and metric points. None holds a raw key, scope or input. */
export const idempotencyAttributes = {
  /** The operation: GraphQL root field(s) or tRPC procedure path. */
  operation: 'idempotency.operation',
  /** How the execution ended: an {@link IdempotencyOutcome}. */
  outcome: 'idempotency.outcome',
  /** The hashed record id (SHA-256 of scope, operation and key), as in the store and the events. */
  recordId: 'idempotency.record_id',
  /** The fencing token of the acquisition, where the execution acquired the record. */
  fence: 'idempotency.fence',
  /** Whether the acquisition took over an expired lease, where the execution acquired the record. */
  takeover: 'idempotency.takeover',
  /** The store transition: `begin`, `extend`, `complete` or `release`. */
  transition: 'idempotency.store.transition',
  /** The OpenTelemetry semantic convention attribute for a failure's class: an error's class name or an outcome. */
  errorType: 'error.type',
} as const;

/** How a keyed execution ended, as the span's `idempotency.outcome` and the `idempotency.operations` counter say. */
export type IdempotencyOutcome =
  /** The operation ran and its result was stored. */
  | 'executed'
  /** A stored result was returned; the operation did not run. */
  | 'replayed'
  /** A repeat arrived while the first attempt still ran: refused (409), not run. */
  | 'conflict'
  /** The key was reused with other input: refused (422), not run. */
  | 'mismatch'
  /** The operation ran and threw (or `shouldStore` said no): the key was freed. */
  | 'released'
  /** The operation ran, but its owner had lost the lease (taken over): its completion was refused. */
  | 'stale-completion'
  /** The operation ran, but its result was too large or not serializable: not stored, its repeats are refused. */
  | 'result-not-stored'
  /** A repeat of a record whose result was not stored: refused (500), not run. */
  | 'not-replayable'
  /** A key without caller identity (`scope`): refused (401), not run. */
  | 'scope-missing'
  /** The input cannot be fingerprinted: refused (400), not run. */
  | 'input-invalid'
  /** The store failed at begin and `failMode` is `'closed'`: refused (503), not run. */
  | 'store-unavailable'
  /** The store failed at begin and `failMode` is `'open'`: the operation ran without idempotency. */
  | 'fail-open'
  /** The operation ran, but storing its outcome (or freeing its key) failed for all of `completionRetry`: the lease lapses. */
  | 'completion-failed'
  /** Anything else. */
  | 'error';
