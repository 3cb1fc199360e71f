import type { TRPCError } from '@trpc/server';

/**
 * The message of the error tRPC's output validator throws once the procedure has returned and its
 * output fails the `.output()` schema: `createOutputMiddleware` in @trpc/server (11.25,
 * `unstable-core-do-not-import/middleware.ts`) throws
 * `new TRPCError({ message: 'Output validation failed', code: 'INTERNAL_SERVER_ERROR', cause })`.
 * `test/trpc/output-validation.test.ts` fails if tRPC changes it.
 */
export const OUTPUT_VALIDATION_FAILED = 'Output validation failed';

/** Whether `error` says the procedure returned and its output then failed the `.output()` validator. */
export function isOutputValidationFailure(error: TRPCError): boolean {
  return error.code === 'INTERNAL_SERVER_ERROR' && error.message === OUTPUT_VALIDATION_FAILED;
}
