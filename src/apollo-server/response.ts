import { HeaderMap, type GraphQLResponse, type HTTPGraphQLHead } from '@apollo/server';
import type { FormattedExecutionResult, GraphQLError } from 'graphql';
import type { IdempotencyError } from '../core/errors.js';
import { errorHeaders } from '../core/http.js';
import {
  replayedBody,
  replayedHeaders,
  storableHeaders,
  UNSTORABLE_RESULT,
  type StoredResult,
} from '../graphql/index.js';

/**
 * The response as Apollo Server sends it (errors already through `formatError`), in stored form:
 * the body, the response status and, of its headers, those the mutation produced (`produced`: set or
 * changed during execution, by a resolver or an error's `extensions.http`), never those other plugins
 * set around execution (a request id, a CSRF token belong to the session) nor transport or cookie
 * headers (see `storableHeaders`).
 * An incremental (`@defer` / `@stream`) response cannot be stored: `UNSTORABLE_RESULT`.
 */
export function toStoredResult(response: GraphQLResponse, produced: ReadonlySet<string>): StoredResult {
  if (response.body.kind !== 'single') return UNSTORABLE_RESULT;
  const headers = storableHeaders(response.http.headers, produced);
  return { body: response.body.singleResult, status: response.http.status ?? 200, ...(headers ? { headers } : {}) };
}

/**
 * The status and headers one operation of a batch set itself: those of its errors'
 * `extensions.http`, merged as Apollo Server merges them into the response (a later error's status
 * wins). Apollo Server gives a batch's operations one shared response head, which every operation
 * and plugin writes (a sibling's refusal or replay, a sibling's errors): what else is on it belongs
 * to the batch, not to this operation's result.
 */
export function operationHead(errors: readonly GraphQLError[] | undefined): HTTPGraphQLHead {
  const head: HTTPGraphQLHead = { headers: new HeaderMap() };
  for (const error of errors ?? []) {
    const http = error.extensions?.http;
    if (!isPartialHead(http)) continue;
    if (http.status) head.status = http.status;
    for (const [name, value] of http.headers ?? []) head.headers.set(name, value);
  }
  return head;
}

/** Apollo Server's test of an `extensions.http` it applies (`isPartialHTTPGraphQLHead`): anything else is ignored. */
function isPartialHead(http: unknown): http is Partial<HTTPGraphQLHead> {
  return (
    typeof http === 'object' &&
    http !== null &&
    (!('status' in http) || typeof http.status === 'number') &&
    (!('headers' in http) || http.headers instanceof Map)
  );
}

/**
 * A stored result as the response Apollo Server sends for a replay, without executing: marked
 * `extensions.idempotency.replayed`, with the original status and stored headers plus
 * `Idempotent-Replayed: true` when the operation came over HTTP. A header the retry's own response
 * already carries (`own`: set by its plugins before this one answered) keeps the retry's value. A
 * stored 200 sets no status, as the operation's own execution set none: in a batch, the status a
 * sibling set (a refusal's 409) stays the batch's.
 */
export function toReplayResponse(stored: StoredResult, overHttp: boolean, own: HeaderMap): GraphQLResponse {
  if (!overHttp) return response(replayedBody(stored), {});
  const headers = Object.entries(replayedHeaders(stored)).filter(([name]) => !own.has(name));
  return response(replayedBody(stored), {
    ...(stored.status === 200 ? {} : { status: stored.status }),
    headers: Object.fromEntries(headers),
  });
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
 * Turns the response about to be sent into the refusal, in place: the writes made through `tx()`
 * did not commit, so the result must not go out. In a batch the status and headers go on the head
 * the operations share, as an error's `extensions.http` would (the batch's status); a sibling's
 * stored result never reads them (see {@link operationHead}).
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
