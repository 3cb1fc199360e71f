import type { TRPCError } from '@trpc/server';

/**
 * The name of the middleware `.input()` adds in @trpc/server 11 (`createInputMiddleware` in
 * `unstable-core-do-not-import/middleware.ts`): `async function inputValidatorMiddleware`, which
 * reads the raw input, parses it and, when the parser throws, throws
 * `new TRPCError({ code: 'BAD_REQUEST', cause })` before anything after it runs.
 * `test/integration/trpc/input-validation.test.ts` fails if tRPC changes it.
 */
export const INPUT_VALIDATOR = 'inputValidatorMiddleware';

/** What the idempotency middleware saw of one call beyond its `next()` result. */
export interface CallTrace {
  /** A middleware after this one read the raw input through the `getRawInput` this one handed on (an input validator does, first thing). */
  rawInputRead: boolean;
  /** A nested call (`createCaller` inside the body) passed through an idempotency middleware: the body ran. */
  nestedCallRan: boolean;
}

/**
 * Whether `error` is tRPC's own input validator refusing this call's input, so the procedure body
 * never started (Stripe's rule: nothing ran, nothing is stored). All of these must hold: the error
 * is tRPC's validator error as it builds it (`BAD_REQUEST`, a cause, the cause's message, made in
 * {@link INPUT_VALIDATOR}: its first stack frame), a validator after this middleware read the raw
 * input of this call, and no nested call ran under this one (its validator's error, let through by
 * the body, would look the same). Anything else, or a stack that does not show it (a minified
 * build, `Error.stackTraceLimit = 0`), counts as the body's own error: stored, the safe side.
 */
export function isInputValidationFailure(error: TRPCError, trace: CallTrace): boolean {
  if (!trace.rawInputRead || trace.nestedCallRan) return false;
  if (error.code !== 'BAD_REQUEST' || error.cause === undefined || error.message !== error.cause.message) return false;
  const { stack } = error;
  if (typeof stack !== 'string') return false;
  const frames = stack.slice(stack.indexOf(error.message) + error.message.length).trimStart();
  return frames.startsWith(`at ${INPUT_VALIDATOR} `) || frames.startsWith(`at async ${INPUT_VALIDATOR} `);
}
