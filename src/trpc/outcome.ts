import type { TRPCError, TRPCMiddlewareFunction } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { RETURNED, type BodyOutcome } from '../core/policy.js';

/** A procedure that never started: its key is freed, as after an unexpected error (the core policy has no outcome of its own for it). */
const NEVER_STARTED: BodyOutcome = Object.freeze({ returned: false, coded: false });
import type { ProcedureOutcome } from './options.js';
import { isInputValidationFailure } from './input-validation.js';
import type { CallTrace } from './running-call.js';
import { isOutputValidationFailure } from './output-validation.js';

/** What a middleware returns, as tRPC types it. */
export type MiddlewareResult<TContextOverride> = Awaited<
  ReturnType<TRPCMiddlewareFunction<unknown, unknown, object, TContextOverride, unknown>>
>;

/**
 * How the procedure ended, for the core's one error policy (`keepsRecord`): it returned (an output,
 * or an output its `.output()` validator then refused: the procedure ran either way), it threw a
 * `TRPCError` (coded, with the code's HTTP status), or it threw something else, which tRPC wrapped.
 * An input validator after the middleware that refused the input (see `isInputValidationFailure`)
 * means the procedure never started: nothing is stored, the key is freed (Stripe's rule), so the
 * corrected input runs under the same key.
 */
export function bodyOutcome(outcome: ProcedureOutcome, trace: CallTrace): BodyOutcome {
  if (outcome.ok || isOutputValidationFailure(outcome.error)) return RETURNED;
  if (isInputValidationFailure(outcome.error, trace)) return NEVER_STARTED;
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
