import { GraphQLError, type ExecutionResult } from 'graphql';
import type { IdempotencyError } from '../core/errors.js';
import { errorHeaders } from '../core/http.js';

/**
 * The result that answers a refused request: one GraphQL error with the error's `code` and, for
 * Yoga, `extensions.http` (status, and `Retry-After` on a 409), so the HTTP status matches. The
 * error is a plain GraphQL error (no `originalError`), so error masking leaves it as it is.
 */
export function idempotencyErrorResult(error: IdempotencyError): ExecutionResult {
  const headers = errorHeaders(error);
  const http = Object.keys(headers).length > 0 ? { status: error.status, headers } : { status: error.status };
  return { errors: [new GraphQLError(error.message, { extensions: { code: error.code, http } })] };
}
