import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import {
  IdempotencyConcurrentRequestError,
  isIdempotencyError,
  type IdempotencyError,
  type IdempotencyErrorCode,
} from '../core/errors.js';

/** The tRPC code each idempotency error is answered with (the table in docs/semantics.md). */
export const trpcErrorCodes = {
  IDEMPOTENCY_KEY_REQUIRED: 'BAD_REQUEST',
  IDEMPOTENCY_KEY_INVALID: 'BAD_REQUEST',
  IDEMPOTENCY_INPUT_INVALID: 'BAD_REQUEST',
  IDEMPOTENCY_SCOPE_MISSING: 'UNAUTHORIZED',
  IDEMPOTENCY_STREAM_UNSUPPORTED: 'BAD_REQUEST',
  IDEMPOTENCY_CONCURRENT_REQUEST: 'CONFLICT',
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH: 'UNPROCESSABLE_CONTENT',
  IDEMPOTENCY_STORE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  IDEMPOTENCY_RESULT_NOT_STORED: 'INTERNAL_SERVER_ERROR',
} as const satisfies Record<IdempotencyErrorCode, TRPC_ERROR_CODE_KEY>;

/** The `TRPCError` for an idempotency error; the typed error is its `cause`. */
export function toTRPCError(error: IdempotencyError): TRPCError {
  return new TRPCError({ code: trpcErrorCodes[error.code], message: error.message, cause: error });
}

/** What {@link idempotencyErrorData} exposes: the stable code and, on a 409, the seconds to wait. */
export interface IdempotencyErrorData {
  code: IdempotencyErrorCode;
  retryAfter?: number;
}

/**
 * The idempotency details of a `TRPCError`, for an `errorFormatter`; `undefined` for other errors.
 * @example
 * errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, idempotency: idempotencyErrorData(error) } })
 */
export function idempotencyErrorData(error: TRPCError): IdempotencyErrorData | undefined {
  const { cause } = error;
  if (!isIdempotencyError(cause)) return undefined;
  return cause instanceof IdempotencyConcurrentRequestError
    ? { code: cause.code, retryAfter: cause.retryAfter }
    : { code: cause.code };
}
