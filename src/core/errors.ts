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
  | 'IDEMPOTENCY_RESULT_NOT_STORED';

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

/** True when `error` is one of this library's typed errors. */
export function isIdempotencyError(error: unknown): error is IdempotencyError {
  return error instanceof IdempotencyError;
}
