import { HeaderMap, type GraphQLResponse, type HTTPGraphQLHead } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { IdempotencyError } from '../core/errors.js';
import { errorHeaders } from '../core/http.js';
import { replayedBody, replayedHeaders, UNSTORABLE_RESULT, type StoredResult } from '../graphql/index.js';

/**
 * Response headers that belong to the transport, not to the operation's result: Apollo Server or
 * Node set them on every response, so they are never stored with a result nor replayed.
 */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'set-cookie',
  'date',
  'connection',
  'cache-control',
]);

/**
 * The response as Apollo Server sends it (errors already through `formatError`), in stored form:
 * the body, the response status and the headers set for this operation (not the transport's own).
 * An incremental (`@defer` / `@stream`) response cannot be stored: `UNSTORABLE_RESULT`.
 */
export function toStoredResult(response: GraphQLResponse): StoredResult {
  if (response.body.kind !== 'single') return UNSTORABLE_RESULT;
  const headers: Record<string, string> = {};
  for (const [name, value] of response.http.headers)
    if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers[name] = value;
  return {
    body: response.body.singleResult,
    status: response.http.status ?? 200,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
}

/**
 * A stored result as the response Apollo Server sends for a replay, without executing: marked
 * `extensions.idempotency.replayed`, with the original status and headers plus
 * `Idempotent-Replayed: true` when the operation came over HTTP.
 */
export function toReplayResponse(stored: StoredResult, overHttp: boolean): GraphQLResponse {
  return response(replayedBody(stored), overHttp ? { status: stored.status, headers: replayedHeaders(stored) } : {});
}

/**
 * A refusal as the response Apollo Server sends without executing: one error with the refusal's
 * `code` and, over HTTP, its status (and `Retry-After` on a 409).
 */
export function toRefusalResponse(error: IdempotencyError, overHttp: boolean): GraphQLResponse {
  const body: FormattedExecutionResult = { errors: [{ message: error.message, extensions: { code: error.code } }] };
  return response(body, overHttp ? { status: error.status, headers: errorHeaders(error) } : {});
}

/**
 * Turns the response about to be sent into the refusal, in place (a batch shares its `http` head
 * between operations): the writes made through `tx()` did not commit, so the result must not go out.
 */
export function replaceWithRefusal(
  sent: Pick<GraphQLResponse, 'http'> & { body?: GraphQLResponse['body'] },
  error: IdempotencyError,
  overHttp: boolean,
): void {
  const refusal = toRefusalResponse(error, overHttp);
  sent.body = refusal.body;
  if (refusal.http.status !== undefined) sent.http.status = refusal.http.status;
  for (const [name, value] of refusal.http.headers) sent.http.headers.set(name, value);
}

function response(
  body: FormattedExecutionResult,
  { status, headers = {} }: { status?: number; headers?: Record<string, string> },
): GraphQLResponse {
  const http: HTTPGraphQLHead = { headers: new HeaderMap(Object.entries(headers)) };
  if (status !== undefined) http.status = status;
  return { http, body: { kind: 'single', singleResult: body } };
}
