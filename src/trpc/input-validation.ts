import type { TRPCError } from '@trpc/server';
import type { CallTrace } from './running-call.js';

/**
 * The name of the middleware `.input()` adds in @trpc/server 11 (`createInputMiddleware` in
 * `unstable-core-do-not-import/middleware.ts`): `async function inputValidatorMiddleware`, which
 * reads the raw input, parses it and, when the parser throws, throws
 * `new TRPCError({ code: 'BAD_REQUEST', cause })` before anything after it runs.
 * `test/integration/trpc/input-validation.test.ts` fails if tRPC changes it.
 */
export const INPUT_VALIDATOR = 'inputValidatorMiddleware';

/**
 * Whether `error` is tRPC's own input validator refusing this call's input before anything else
 * ran after the idempotency middleware, so the procedure never started (Stripe's rule: nothing
 * ran, nothing is stored). All of these must hold:
 * - the raw input was read exactly once, and while the idempotency middleware was still handing the
 *   call on: the failing validator is the first thing that ran after it (a second read is a second
 *   validator, and a middleware between two validators, `.input(a).use(effect).input(b)`, may have
 *   had its effect; a middleware before the first validator that awaited anything delays the read);
 * - no nested call ran under this one (its validator's error, let through by the body, looks the same);
 * - the error is tRPC's validator error as it builds it (`BAD_REQUEST`, a cause, the cause's message),
 *   and its stack shows it was made in {@link INPUT_VALIDATOR}. This last check is a fail-safe only:
 *   a stack that does not show it (a minified build, `Error.stackTraceLimit = 0`) counts as not.
 *
 * Anything else counts as the procedure's own error: stored, the safe side.
 */
export function isInputValidationFailure(error: TRPCError, trace: CallTrace): boolean {
  if (trace.rawInputReads !== 1 || !trace.firstReadOnHandOver || trace.nestedCallRan) return false;
  if (error.code !== 'BAD_REQUEST' || error.cause === undefined || error.message !== error.cause.message) return false;
  const { stack } = error;
  if (typeof stack !== 'string') return false;
  const frames = stack.slice(stack.indexOf(error.message) + error.message.length).trimStart();
  return frames.startsWith(`at ${INPUT_VALIDATOR} `) || frames.startsWith(`at async ${INPUT_VALIDATOR} `);
}
