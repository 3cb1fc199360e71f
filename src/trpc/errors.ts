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
  IDEMPOTENCY_LEASE_LOST: 'SERVICE_UNAVAILABLE',
  IDEMPOTENCY_COMMIT_OUTCOME_UNKNOWN: 'SERVICE_UNAVAILABLE',
  IDEMPOTENCY_COMMIT_ABORTED: 'SERVICE_UNAVAILABLE',
  IDEMPOTENCY_COMMIT_FAILED: 'INTERNAL_SERVER_ERROR',
  IDEMPOTENCY_TRANSACTION_ENDED: 'INTERNAL_SERVER_ERROR',
  IDEMPOTENCY_TRANSACTION_UNAVAILABLE: 'INTERNAL_SERVER_ERROR',
} as const satisfies Record<IdempotencyErrorCode, TRPC_ERROR_CODE_KEY>;

/** The `TRPCError` for an idempotency error; the typed error is its `cause`. */
export function toTRPCError(error: IdempotencyError): TRPCError {
  // A transaction refused because the store is down (503) is unavailable, not a set-up error.
  const code = error.status === 503 ? 'SERVICE_UNAVAILABLE' : trpcErrorCodes[error.code];
  return new TRPCError({ code, message: error.message, cause: error });
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

/**
 * A keyed call the middleware cannot see through, refused rather than run as unkeyed
 * (`INTERNAL_SERVER_ERROR`: the server's set-up, not the client, must change). Nothing runs.
 * - `'no-headers'`: a mutation called over a transport (HTTP, WebSocket) whose context shows no
 *   request headers (`createContext` returned neither `req` nor `headers`): a key header the client
 *   sent cannot be seen.
 * - `'foreign-header'`: a mutation called with `createCaller(ctx)` while another request is handled
 *   (its path is not one of that request's calls, or tRPC handed it no transport `signal` of its own)
 *   by code that is not itself under a keyed call of the middleware: the context carries a key
 *   header, which belongs to that request, not to this call.
 */
export class IdempotencyContextError extends TRPCError {
  /** Stable code, for logs and error formatters. */
  readonly reason: 'IDEMPOTENCY_CONTEXT_WITHOUT_HEADERS' | 'IDEMPOTENCY_FOREIGN_KEY_HEADER';

  constructor(path: string, headerName: string, kind: 'no-headers' | 'foreign-header') {
    super({
      code: 'INTERNAL_SERVER_ERROR',
      message:
        kind === 'no-headers'
          ? `The idempotency middleware cannot see the ${headerName} header of "${path}": the tRPC context has no ` +
            `request headers. Return \`req\` (or \`headers\`) from createContext, e.g. ({ req, res }) => ({ req, res, … }), ` +
            `or key the call by its input field or a \`getKey\` that finds its key. The call was not run.`
          : `"${path}" was called inside the handling of another request (createCaller, or a call without a ` +
            `transport signal), whose ${headerName} header is not this call's key. Key the call by its input field or \`getKey\` (e.g. ctx.idempotency.derive(…)), ` +
            `or put the idempotency middleware on the procedure that makes the call. The call was not run.`,
    });
    this.name = 'IdempotencyContextError';
    this.reason = kind === 'no-headers' ? 'IDEMPOTENCY_CONTEXT_WITHOUT_HEADERS' : 'IDEMPOTENCY_FOREIGN_KEY_HEADER';
  }
}
