import type { TRPCError, TRPCMiddlewareFunction } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { RETURNED, type BodyOutcome } from '../core/policy.js';
import type { ProcedureOutcome } from './options.js';
import { isOutputValidationFailure } from './output-validation.js';

/** What a middleware returns, as tRPC types it. */
export type MiddlewareResult<TContextOverride> = Awaited<
  ReturnType<TRPCMiddlewareFunction<unknown, unknown, object, TContextOverride, unknown>>
>;

/**
 * How the procedure ended, for the core's one error policy (`keepsRecord`): it returned (an output,
 * or an output its `.output()` validator then refused: the procedure ran either way), it threw a
 * `TRPCError` (coded, with the code's HTTP status), or it threw something else, which tRPC wrapped.
 */
export function bodyOutcome(outcome: ProcedureOutcome): BodyOutcome {
  if (outcome.ok || isOutputValidationFailure(outcome.error)) return RETURNED;
  if (wrapsThrownValue(outcome.error)) return { returned: false, coded: false };
  return { returned: false, coded: true, status: getHTTPStatusCodeFromError(outcome.error) };
}

/**
 * Whether tRPC made `error` out of a thrown non-`TRPCError` (`getTRPCErrorFromUnknown`): an
 * `INTERNAL_SERVER_ERROR` that carries the thrown value as its cause, and the cause's message.
 */
function wrapsThrownValue(error: TRPCError): boolean {
  return error.code === 'INTERNAL_SERVER_ERROR' && error.cause !== undefined && error.message === error.cause.message;
}
