import { GraphQLError, Source, type ExecutionResult, type GraphQLFormattedError, type SourceLocation } from 'graphql';
import type { ResultCodec } from '../core/engine.js';
import { REPLAYED_HEADER } from '../core/http.js';
import { isUnexpectedError } from './unexpected-errors.js';

/** Yoga's per-result HTTP instructions: it applies them to the response and leaves them out of the body. */
interface HttpExtension {
  status?: number;
  headers?: Record<string, string>;
}

/**
 * A result as stored: the wire form Yoga sends (errors as their JSON, Yoga's internal `http` and
 * `unexpected` extensions left out), plus `extensions.http` with the original status and headers.
 */
export interface StoredResult {
  errors?: GraphQLFormattedError[];
  data?: ExecutionResult['data'];
  extensions?: Record<string, unknown> & { http: HttpExtension };
}

/** What the client will receive, in storable form. Key order is kept, so a replay is byte-identical JSON. */
export function toStoredResult(result: ExecutionResult): StoredResult {
  const stored: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(result)) {
    if (name === 'errors') stored.errors = result.errors?.map(toFormattedError);
    else if (name === 'extensions') stored.extensions = withoutHttp(result.extensions);
    else stored[name] = value;
  }
  const http = originalHttp(result);
  stored.extensions = { ...(stored.extensions as object | undefined), http };
  return stored as StoredResult;
}

/**
 * Stands for an outcome with no result that can be stored (a streamed `@defer` / `@stream` result, an
 * execution that ended without one): where the policy keeps it, its repeats are refused, never run.
 */
export const UNSTORABLE_RESULT: StoredResult = Object.freeze({});

/** Stored results are already JSON: they are written as JSON, not through superjson. The unstorable marker throws (not stored). */
export const storedResultCodec: ResultCodec<StoredResult> = {
  stringify(result) {
    if (result === UNSTORABLE_RESULT) throw new Error('This outcome has no result that can be stored.');
    return JSON.stringify(result);
  },
  parse: (text) => JSON.parse(text) as StoredResult,
};

/**
 * The stored result marked as a replay: `extensions.idempotency.replayed` and, over HTTP, the
 * original status and headers plus `Idempotent-Replayed: true`.
 */
export function toReplayedResult(stored: StoredResult, overHttp: boolean): ExecutionResult {
  const { http, ...extensions } = stored.extensions ?? { http: {} };
  const replayed: Record<string, unknown> = { ...extensions, idempotency: { replayed: true } };
  if (overHttp) replayed.http = { ...http, headers: { ...http.headers, [REPLAYED_HEADER]: 'true' } };
  const result = { ...stored, extensions: replayed } as ExecutionResult;
  if (stored.errors) result.errors = stored.errors.map(toGraphQLError);
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
 * A source and positions whose locations are `locations`. Servers (Yoga) rebuild errors from their
 * source and positions rather than copy `locations`, so a replayed error must carry them: a blank
 * source of as many lines as needed, each as wide as the widest column.
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
function originalHttp(result: ExecutionResult): HttpExtension {
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
