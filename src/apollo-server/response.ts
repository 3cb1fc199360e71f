import { HeaderMap, type GraphQLResponse, type HTTPGraphQLHead } from '@apollo/server';
import type { ExecutionResult, FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';

/** The shared layer's HTTP instructions (`extensions.http` of a result or of an error), as plain JSON. */
interface HttpExtension {
  status?: number;
  headers?: Record<string, string>;
}

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
 * An answer of the shared layer (a replay, or a refusal) as the response Apollo Server sends without
 * executing: errors in their JSON form, and every `extensions.http` (of the result and of its errors)
 * taken out of the body and turned into the response's status and headers.
 */
export function toApolloResponse(answer: ExecutionResult): GraphQLResponse {
  const http: HTTPGraphQLHead = { headers: new HeaderMap() };
  const singleResult: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(answer)) {
    if (name === 'errors') singleResult.errors = answer.errors?.map((error) => formattedWithoutHttp(error, http));
    else if (name === 'extensions') singleResult.extensions = withoutHttp(answer.extensions, http);
    else singleResult[name] = value;
  }
  if (singleResult.extensions === undefined) delete singleResult.extensions;
  return { http, body: { kind: 'single', singleResult: singleResult as FormattedExecutionResult } };
}

/**
 * The response as Apollo Server sends it (errors already through `formatError`), in the form the
 * shared layer stores: a single result with `extensions.http` carrying the response status and the
 * headers set for this operation (not the transport's own), so a replay has the same status and
 * headers. An incremental (`@defer` / `@stream`) response is handed over as the stream it is.
 */
export function toSentResult(response: GraphQLResponse): unknown {
  if (response.body.kind !== 'single') return response.body.subsequentResults;
  const { singleResult } = response.body;
  const headers: Record<string, string> = {};
  for (const [name, value] of response.http.headers)
    if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers[name] = value;
  const http: HttpExtension = {
    status: response.http.status ?? 200,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
  return { ...singleResult, extensions: { ...singleResult.extensions, http } };
}

/** An error as Apollo Server writes it into the body, its `extensions.http` moved into `http`. */
function formattedWithoutHttp(
  error: GraphQLError | GraphQLFormattedError,
  http: HTTPGraphQLHead,
): GraphQLFormattedError {
  const json: GraphQLFormattedError = 'toJSON' in error && typeof error.toJSON === 'function' ? error.toJSON() : error;
  if (!json.extensions || !('http' in json.extensions)) return json;
  const { extensions: _extensions, ...rest } = json;
  const extensions = withoutHttp(json.extensions, http);
  return extensions ? { ...rest, extensions } : rest;
}

/** `extensions` without `http`, whose status and headers are applied to `head`; `undefined` if nothing else is left. */
function withoutHttp(
  extensions: Readonly<Record<string, unknown>> | undefined,
  head: HTTPGraphQLHead,
): Record<string, unknown> | undefined {
  if (!extensions) return undefined;
  const { http, ...rest } = extensions as { http?: HttpExtension };
  if (http?.status !== undefined && (head.status === undefined || http.status > head.status)) head.status = http.status;
  for (const [name, value] of Object.entries(http?.headers ?? {})) head.headers.set(name, value);
  return Object.keys(rest).length > 0 ? rest : undefined;
}
