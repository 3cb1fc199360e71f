import type { FormattedExecutionResult } from 'graphql';
import type { ResultCodec } from '../core/attempt.js';
import { IdempotencyResultNotStoredError } from '../core/errors.js';
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

/**
 * Stored results are already JSON: they are written as JSON, not through superjson. The unstorable
 * marker throws (not stored). Reading accepts this form and the form of releases before it (see
 * {@link readStoredResult}).
 */
export const storedResultCodec: ResultCodec<StoredResult> = {
  stringify(result) {
    if (result === UNSTORABLE_RESULT) throw new Error('This outcome has no result that can be stored.');
    return JSON.stringify(result);
  },
  parse: (text) => readStoredResult(JSON.parse(text) as unknown),
};

/**
 * A stored record as a {@link StoredResult}. Records written before the neutral form kept the body at
 * the top level with the status and headers in `extensions.http` (`{ data, errors, extensions: { http:
 * { status, headers } } }`): they are read as that. Anything else was not written by this library's
 * GraphQL adapters (another adapter's record under the same prefix, a corrupted value): the key was
 * used and its result cannot be replayed, so the repeat is refused ({@link IdempotencyResultNotStoredError}),
 * never run and never answered with a wrong value.
 */
export function readStoredResult(record: unknown): StoredResult {
  if (!isObject(record)) throw new IdempotencyResultNotStoredError();
  if (isObject(record.body) && typeof record.status === 'number' && isHeaders(record.headers ?? {}))
    return record as unknown as StoredResult;
  const { extensions, ...rest } = record;
  const http = isObject(extensions) ? extensions.http : undefined;
  if (!isObject(extensions) || !isObject(http) || Object.keys(rest).some((name) => !LEGACY_BODY_KEYS.has(name)))
    throw new IdempotencyResultNotStoredError();
  const { status = 200, headers } = http;
  if (typeof status !== 'number' || !isHeaders(headers ?? {})) throw new IdempotencyResultNotStoredError();
  const { http: _http, ...otherExtensions } = extensions;
  const body = Object.keys(otherExtensions).length > 0 ? { ...rest, extensions: otherExtensions } : rest;
  return { body, status, ...(headers ? { headers: headers as Record<string, string> } : {}) };
}

/** The top-level keys of a body stored in the earlier form, besides `extensions`. */
const LEGACY_BODY_KEYS: ReadonlySet<string> = new Set(['data', 'errors']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHeaders(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((header) => typeof header === 'string');
}

/**
 * Response headers never stored with a result nor replayed, even when the mutation's execution set
 * them: the transport's own, and the session's (`set-cookie`), which belong to the request that
 * received them, not to the result another session's retry gets.
 */
const UNREPLAYABLE_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'date',
  'cache-control',
  'set-cookie',
]);

/**
 * Of `headers`, those a stored result carries: the ones whose (case-insensitive) name is in
 * `produced` (the headers the mutation's execution produced) and may be replayed; `undefined` if none.
 */
export function storableHeaders(
  headers: Iterable<[string, string]>,
  produced: ReadonlySet<string>,
): Record<string, string> | undefined {
  const kept = [...headers].filter(
    ([name]) => produced.has(name.toLowerCase()) && !UNREPLAYABLE_HEADERS.has(name.toLowerCase()),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** The stored body marked as a replay: `extensions.idempotency.replayed`. */
export function replayedBody(stored: StoredResult): FormattedExecutionResult {
  return { ...stored.body, extensions: { ...stored.body.extensions, idempotency: { replayed: true } } };
}

/** The stored headers plus `Idempotent-Replayed: true`, for a replay over HTTP. */
export function replayedHeaders(stored: StoredResult): Record<string, string> {
  return { ...stored.headers, [REPLAYED_HEADER]: 'true' };
}
