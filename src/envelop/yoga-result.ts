import { GraphQLError, Source, type ExecutionResult, type GraphQLFormattedError, type SourceLocation } from 'graphql';
import { replayedBody, replayedHeaders, storableHeaders, type StoredResult } from '../graphql/index.js';
import { isUnexpectedError } from './unexpected-errors.js';

/** Yoga's per-result HTTP instructions: it applies them to the response and leaves them out of the body. */
interface HttpExtension {
  status?: number;
  headers?: Record<string, string>;
}

/**
 * A result as Yoga sends it, in stored form: the body as Yoga writes it (errors as their JSON,
 * Yoga's internal `http` and `unexpected` extensions left out), the status Yoga derives from the
 * `extensions.http` of the result and its errors, and of their headers those the mutation produced
 * (`produced`, see {@link producedHeaderNames}): not those other plugins added to the result after
 * execution (a request id, a session token). Key order is kept.
 */
export function toStoredResult(result: ExecutionResult, produced: ReadonlySet<string>): StoredResult {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result)) {
    if (name === 'errors') body.errors = result.errors?.map(toFormattedError);
    else if (name === 'extensions') {
      const extensions = withoutHttp(result.extensions);
      if (extensions) body.extensions = extensions;
    } else body[name] = value;
  }
  const { status, headers = {} } = responseHead(result);
  const stored = storableHeaders(Object.entries(headers), produced);
  return { body, status, ...(stored ? { headers: stored } : {}) };
}

/**
 * The (lower-cased) names of the response headers a result as execution returned it asks for in
 * `extensions.http` (of the result or of its errors, as a resolver's error sets them): the headers
 * the mutation produced, before any other plugin's result hook.
 */
export function producedHeaderNames(result: ExecutionResult): Set<string> {
  return new Set(Object.keys(responseHead(result).headers ?? {}).map((name) => name.toLowerCase()));
}

/**
 * The stored result as the result Yoga sends for a replay: marked `extensions.idempotency.replayed`
 * and, over HTTP, with the original status and headers plus `Idempotent-Replayed: true` in
 * `extensions.http`, which Yoga applies to the response.
 */
export function toReplayedResult(stored: StoredResult, overHttp: boolean): ExecutionResult {
  const body = replayedBody(stored);
  const extensions: Record<string, unknown> = { ...body.extensions };
  if (overHttp) extensions.http = { status: stored.status, headers: replayedHeaders(stored) };
  const result = { ...body, extensions } as ExecutionResult;
  if (body.errors) result.errors = body.errors.map(toGraphQLError);
  return result;
}

/**
 * A stored error as a GraphQLError that serializes to the same JSON. It has no `originalError`, so
 * error masking, which a replay passes through like the original did, leaves it as it is.
 */
function toGraphQLError(formatted: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(formatted.message, {
    ...(formatted.locations ? sourcePositionsOf(formatted.locations) : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.extensions ? { extensions: formatted.extensions } : {}),
  });
}

/**
 * A source and positions whose locations are `locations`. Yoga rebuilds errors from their source
 * and positions rather than copy `locations`, so a replayed error must carry them: a blank source of
 * as many lines as needed, each as wide as the widest column.
 */
function sourcePositionsOf(locations: readonly SourceLocation[]): { source: Source; positions: number[] } {
  const width = Math.max(...locations.map((location) => location.column));
  const lines = Math.max(...locations.map((location) => location.line));
  return {
    source: new Source(`${' '.repeat(width)}\n`.repeat(lines)),
    positions: locations.map((location) => (location.line - 1) * (width + 1) + location.column - 1),
  };
}

/** An error as Yoga writes it into the response body. */
function toFormattedError(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  const json: GraphQLFormattedError = error instanceof Error && 'toJSON' in error ? error.toJSON() : error;
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions ?? {};
  const { extensions: _extensions, ...rest } = json;
  return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
}

function withoutHttp(extensions: ExecutionResult['extensions']): Record<string, unknown> | undefined {
  if (!extensions) return extensions;
  const { http: _http, ...rest } = extensions;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * The status and headers Yoga derives from a result: the highest `extensions.http.status` of the
 * result and its errors, their `extensions.http.headers`, else 500 for unexpected errors without
 * data and 200 otherwise.
 */
function responseHead(result: ExecutionResult): Pick<StoredResult, 'status' | 'headers'> {
  const parts = [result.extensions?.http, ...(result.errors ?? []).map((error) => error.extensions?.http)] as (
    HttpExtension | undefined
  )[];
  let status: number | undefined;
  let headers: Record<string, string> | undefined;
  for (const part of parts) {
    if (part?.headers) headers = { ...headers, ...part.headers };
    if (part?.status && (status === undefined || part.status > status)) status = part.status;
  }
  const unexpected = (result.errors ?? []).some((error) => !error.extensions?.http && isUnexpectedError(error));
  status ??= unexpected && !('data' in result) ? 500 : 200;
  return headers ? { status, headers } : { status };
}
