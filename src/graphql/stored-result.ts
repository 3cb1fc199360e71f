import type { FormattedExecutionResult } from 'graphql';
import type { ResultCodec } from '../core/attempt.js';
import { REPLAYED_HEADER } from '../core/http.js';

/**
 * A GraphQL result as stored, in a form no server owns: the response body as it was sent (errors
 * in their JSON form, no transport instructions in `extensions`), the HTTP status it was sent with
 * and the response headers the operation set (not the transport's own). Each server adapter turns
 * its server's result into this form and a stored one back into its server's answer.
 */
export interface StoredResult {
  /** The response body as sent. Key order is kept, so a replay is byte-identical JSON. */
  body: FormattedExecutionResult;
  /** The HTTP status the result was sent with; 200 where no HTTP response carried it. */
  status: number;
  /** The response headers the operation set, if any. */
  headers?: Record<string, string>;
}

/**
 * Stands for an outcome with no result that can be stored (a streamed `@defer` / `@stream` result, an
 * execution that ended without one): where the policy keeps it, its repeats are refused, never run.
 */
export const UNSTORABLE_RESULT: StoredResult = Object.freeze({ body: Object.freeze({}), status: 0 });

/** Stored results are already JSON: they are written as JSON, not through superjson. The unstorable marker throws (not stored). */
export const storedResultCodec: ResultCodec<StoredResult> = {
  stringify(result) {
    if (result === UNSTORABLE_RESULT) throw new Error('This outcome has no result that can be stored.');
    return JSON.stringify(result);
  },
  parse: (text) => JSON.parse(text) as StoredResult,
};

/** The stored body marked as a replay: `extensions.idempotency.replayed`. */
export function replayedBody(stored: StoredResult): FormattedExecutionResult {
  return { ...stored.body, extensions: { ...stored.body.extensions, idempotency: { replayed: true } } };
}

/** The stored headers plus `Idempotent-Replayed: true`, for a replay over HTTP. */
export function replayedHeaders(stored: StoredResult): Record<string, string> {
  return { ...stored.headers, [REPLAYED_HEADER]: 'true' };
}
