import { GraphQLError, type ExecutionResult } from 'graphql';
import type { IdempotencyError } from '../core/errors.js';
import { errorHeaders } from '../core/http.js';

/**
 * The result that answers a refused request: one GraphQL error with the error's `code` and, over
 * HTTP, `extensions.http` (status, and `Retry-After` on a 409), which Yoga turns into the response
 * status and headers. Where no HTTP response exists (graphql-ws, a plain executor) there is no
 * `http` extension. The error is a plain GraphQL error (no `originalError`), so masking leaves it be.
 */
export function idempotencyErrorResult(error: IdempotencyError, overHttp: boolean): ExecutionResult {
  const extensions: Record<string, unknown> = { code: error.code };
  if (overHttp) {
    const headers = errorHeaders(error);
    extensions.http = Object.keys(headers).length > 0 ? { status: error.status, headers } : { status: error.status };
  }
  return { errors: [new GraphQLError(error.message, { extensions })] };
}
