import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { REPLAYED_HEADER } from '../core/http.js';

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

/** The stored result marked as a replay: `extensions.idempotency.replayed` and the `Idempotent-Replayed` header. */
export function toReplayedResult(stored: StoredResult): ExecutionResult {
  const { http, ...extensions } = stored.extensions ?? { http: {} };
  return {
    ...stored,
    extensions: {
      ...extensions,
      idempotency: { replayed: true },
      http: { ...http, headers: { ...http.headers, [REPLAYED_HEADER]: 'true' } },
    },
  } as ExecutionResult;
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
  const parts = [result.extensions?.http, ...(result.errors ?? []).map((error) => error.extensions?.http)] as (HttpExtension | undefined)[];
  let status: number | undefined;
  let headers: Record<string, string> | undefined;
  for (const part of parts) {
    if (part?.headers) headers = { ...headers, ...part.headers };
    if (part?.status && (status === undefined || part.status > status)) status = part.status;
  }
  const unexpected = (result.errors ?? []).some((error) => !error.extensions?.http && isUnexpected(error));
  status ??= unexpected && !('data' in result) ? 500 : 200;
  return headers ? { status, headers } : { status };
}

/** Yoga's rule: an error that wraps a non-GraphQL error, or is marked `unexpected`. */
function isUnexpected(error: GraphQLError): boolean {
  let current: unknown = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return !(current instanceof GraphQLError) || error.extensions.unexpected === true;
}
