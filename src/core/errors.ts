/**
 * Typed errors of idempotent-mutations. Every error has a stable `code` (the GraphQL
 * `extensions.code`) and an HTTP `status`; adapters translate them, never invent new meanings.
 */

/** Every code an {@link IdempotencyError} can carry. */
export type IdempotencyErrorCode =
  | 'IDEMPOTENCY_KEY_REQUIRED'
  | 'IDEMPOTENCY_KEY_INVALID'
  | 'IDEMPOTENCY_CONCURRENT_REQUEST'
  | 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH'
  | 'IDEMPOTENCY_INPUT_INVALID'
  | 'IDEMPOTENCY_SCOPE_MISSING'
  | 'IDEMPOTENCY_STREAM_UNSUPPORTED'
  | 'IDEMPOTENCY_STORE_UNAVAILABLE'
  | 'IDEMPOTENCY_RESULT_NOT_STORED'
  | 'IDEMPOTENCY_LEASE_LOST'
  | 'IDEMPOTENCY_COMMIT_OUTCOME_UNKNOWN'
  | 'IDEMPOTENCY_COMMIT_ABORTED'
  | 'IDEMPOTENCY_COMMIT_FAILED'
  | 'IDEMPOTENCY_TRANSACTION_ENDED'
  | 'IDEMPOTENCY_TRANSACTION_UNAVAILABLE';

/** Base class of every error this library throws on purpose. */
export abstract class IdempotencyError extends Error {
  /** Stable machine-readable code, used as GraphQL `extensions.code`. */
  abstract readonly code: IdempotencyErrorCode;
  /** HTTP status the error maps to. */
  abstract readonly status: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No key was sent for an operation that requires one (`required: true`). HTTP 400. */
export class IdempotencyKeyRequiredError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_KEY_REQUIRED';
  readonly status = 400;
  constructor(message = 'This operation requires an Idempotency-Key.') {
    super(message);
  }
}

/** The key is empty, too long, not printable ASCII, sent twice, or header and argument disagree. HTTP 400. */
export class IdempotencyKeyInvalidError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_KEY_INVALID';
  readonly status = 400;
}

/** Another request with the same key is still running. HTTP 409 with `Retry-After`. */
export class IdempotencyConcurrentRequestError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_CONCURRENT_REQUEST';
  readonly status = 409;
  /** Seconds after which a retry is sensible; sent as the `Retry-After` header. */
  readonly retryAfter: number;
  constructor(retryAfter: number) {
    super(`A request with this Idempotency-Key is still being processed; retry after ${retryAfter} s.`);
    this.retryAfter = retryAfter;
  }
}

/** The key was used before with other variables / input in the same scope. HTTP 422. */
export class IdempotencyKeyMismatchError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH';
  readonly status = 422;
  constructor() {
    super('This Idempotency-Key was already used with different parameters.');
  }
}

/** The input cannot be fingerprinted (for example nested too deeply). HTTP 400. */
export class IdempotencyInputInvalidError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_INPUT_INVALID';
  readonly status = 400;
}

/**
 * A keyed request whose `scope` gave no caller identity (`undefined` or `null`): nothing runs. Only
 * the option `scope: false` selects the shared anonymous scope. HTTP 401.
 */
export class IdempotencyScopeMissingError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_SCOPE_MISSING';
  readonly status = 401;
  constructor() {
    super('This request carries an Idempotency-Key but no caller identity (scope); it was not run.');
  }
}

/** A keyed operation asks for a streamed result (`@defer`, `@stream`), which cannot be replayed: nothing runs. HTTP 400. */
export class IdempotencyStreamUnsupportedError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_STREAM_UNSUPPORTED';
  readonly status = 400;
  constructor() {
    super(
      'A mutation sent with an Idempotency-Key cannot use @defer or @stream: its result must be replayable in full.',
    );
  }
}

/** The store could not be reached and `failMode` is `'closed'`: nothing ran. HTTP 503. */
export class IdempotencyStoreUnavailableError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_STORE_UNAVAILABLE';
  readonly status = 503;
  constructor(cause?: unknown) {
    super('The idempotency store is unavailable; the operation was not run.', { cause });
  }
}

/**
 * The operation ran, but its result exceeded `maxResultBytes`, could not be serialized, or was
 * streamed, and was not stored; a repeat cannot replay it and is refused rather than run twice. HTTP 500.
 */
export class IdempotencyResultNotStoredError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_RESULT_NOT_STORED';
  readonly status = 500;
  constructor() {
    super(
      'This Idempotency-Key was already used, but its result could not be stored for replay (too large, not serializable or streamed); it is not run again.',
    );
  }
}

/**
 * The body wrote through `ctx.idempotency.tx()` and returned, but its attempt lost the record
 * before the transaction committed: its lease lapsed and another attempt took the key over, or its
 * database session ended before COMMIT took effect (the store then freed the record). The writes
 * were rolled back, nothing was committed, and the value is not answered. Retryable: a retry with
 * the same key gets the other attempt's result (or a 409 while it runs), or runs the body again. HTTP 503.
 */
export class IdempotencyLeaseLostError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_LEASE_LOST';
  readonly status = 503;
  readonly retryable = true;
  constructor() {
    super(
      'This attempt lost its Idempotency-Key record before its transaction committed (its lease lapsed and another attempt took it over, or its database session ended before COMMIT took effect); nothing was committed. Retry with the same Idempotency-Key.',
    );
  }
}

/**
 * The connection was lost while the transaction of `ctx.idempotency.tx()` committed, and whether it
 * committed could not be established: the writes may or may not be in. Retryable: a retry with the
 * same key finds the truth (the stored result, or a record to take over once its lease lapses). HTTP 503.
 */
export class IdempotencyCommitOutcomeUnknownError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_COMMIT_OUTCOME_UNKNOWN';
  readonly status = 503;
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An operation sent without a key wrote through `ctx.idempotency.tx()` and returned, but its
 * transaction did not commit: its session ended before COMMIT took effect (an
 * `idle_in_transaction_session_timeout` while the body awaited a slow call, for one), or the
 * connection was lost and the database answered that the transaction aborted. Nothing was written,
 * and the value is not answered. Retryable: running the operation again writes once. HTTP 503.
 */
export class IdempotencyCommitAbortedError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_COMMIT_ABORTED';
  readonly status = 503;
  readonly retryable = true;
  constructor() {
    super(
      "The mutation's database transaction ended before its COMMIT took effect (its session ended or its connection was lost): nothing was written. Retry the request.",
    );
  }
}

/**
 * The body returned, but the database refused to commit its transaction (a deferred constraint, a
 * serialization failure, a timeout, or the body ended the transaction itself): nothing was
 * committed and the key was freed, as for a body that threw. The database's error is the `cause`.
 * HTTP 500.
 */
export class IdempotencyCommitFailedError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_COMMIT_FAILED';
  readonly status = 500;
  constructor(cause: unknown) {
    super("The mutation's database transaction failed to commit: nothing was written, and a retry runs it again.", {
      cause,
    });
  }
}

/**
 * The body ended the transaction `ctx.idempotency.tx()` gave it (its own `COMMIT` or `ROLLBACK`, or
 * an ORM's `transaction()` run on that client): its writes may have committed outside the stored
 * result's transaction, so the key is never run again — every repeat is refused. Use the client
 * inside the open transaction as it is (e.g. `drizzle(client)` without `.transaction()`). HTTP 500.
 */
export class IdempotencyTransactionEndedError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_TRANSACTION_ENDED';
  readonly status = 500;
  constructor(cause?: unknown) {
    super(
      "The mutation ended its own tx() transaction (COMMIT, ROLLBACK or an ORM's transaction()): its writes may have committed, so this key is not run again. Write through the transaction tx() gives, without ending it.",
      { cause },
    );
  }
}

/**
 * Why `ctx.idempotency.tx()` cannot give a transaction:
 * - `'unsupported-store'`: the store keeps its records outside the application's database (memory,
 *   Redis): use `createPostgresStore` from `idempotent-mutations/postgres` (HTTP 500).
 * - `'store-unavailable'`: the store could not be reached and `failMode: 'open'` let the operation run
 *   without a record; writes would commit unprotected, so none are allowed (HTTP 503).
 * - `'ended'`: the attempt already ended (its result was stored, or its key freed), or the GraphQL root
 *   field that asks threw, or the next root field started; also the answer to a statement sent through
 *   the client after that (HTTP 500).
 * - `'outside-attempt'`: the run context belongs to no attempt of the engine (a tRPC query, a procedure with
 *   `meta.idempotency: false`) (HTTP 500).
 * - `'outside-root-field'`: in a GraphQL mutation with several root fields, the code that asks runs in
 *   none of them (work started before them, or a callback that lost Node's async context), so which
 *   root field its writes belong to cannot be told (HTTP 500).
 */
export type TransactionUnavailableReason =
  'unsupported-store' | 'store-unavailable' | 'ended' | 'outside-attempt' | 'outside-root-field';

const transactionUnavailableMessages: Record<TransactionUnavailableReason, string> = {
  'unsupported-store':
    'ctx.idempotency.tx() needs a store that lives in your database: this store keeps its records elsewhere. Use createPostgresStore({ pool }) from idempotent-mutations/postgres.',
  'store-unavailable':
    'ctx.idempotency.tx() is refused: the idempotency store could not be reached, and failMode: "open" runs the operation without a record, so its writes would commit unprotected.',
  ended:
    'ctx.idempotency.tx(), or a statement sent through the client it gave, came after its operation ended (its result was stored or its key freed), or after its GraphQL root field threw or the next root field started: await every write inside the resolver or procedure.',
  'outside-attempt':
    'ctx.idempotency.tx() is only available in a mutation run under the idempotency plugin or middleware.',
  'outside-root-field':
    "ctx.idempotency.tx(), or a statement sent through the client it gave, came from code that runs in none of the root fields of this GraphQL mutation (work started before them, or a callback that lost Node's async context, such as a queue of your own), so which root field its writes belong to cannot be told: send it from the resolver of its root field, and await it there.",
};

/** `ctx.idempotency.tx()` cannot give a transaction here; `reason` says why, the message names the fix. */
export class IdempotencyTransactionUnavailableError extends IdempotencyError {
  readonly code = 'IDEMPOTENCY_TRANSACTION_UNAVAILABLE';
  readonly status: number;
  readonly reason: TransactionUnavailableReason;
  constructor(reason: TransactionUnavailableReason) {
    super(transactionUnavailableMessages[reason]);
    this.reason = reason;
    this.status = reason === 'store-unavailable' ? 503 : 500;
  }
}

/** True when `error` is one of this library's typed errors. */
export function isIdempotencyError(error: unknown): error is IdempotencyError {
  return error instanceof IdempotencyError;
}
