import {
  formatKeyHeader,
  newIdempotencyKey,
  type KeyGeneratorOptions,
  type KeyHeaderOptions,
} from '../core/client-key.js';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';
import { backoffDelay, retryAfterDelay, sleep } from './backoff.js';
import { isMutationBody } from './fetch-operation.js';

/** The `fetch` signature urql, Apollo Client and graphql-request accept. */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** One finished attempt, handed to `shouldRetry`: a response, or the error fetch threw. */
export type AttemptOutcome = { attempt: number } & (
  { response: Response; error?: undefined } | { error: unknown; response?: undefined }
);

/** Options of {@link createIdempotentFetch}. */
export interface IdempotentFetchOptions extends KeyGeneratorOptions, KeyHeaderOptions {
  /** Retries after the first attempt (so at most `retries + 1` requests). Defaults to `3`. */
  retries?: number;
  /** Backoff base in milliseconds: retry n waits a random time up to `baseDelay * 2^n`. Defaults to `100`. */
  baseDelay?: number;
  /** Longest wait between attempts in milliseconds; also caps a server's `Retry-After`. Defaults to `5_000`. */
  maxDelay?: number;
  /**
   * Whether an attempt is retried (with the same key). Defaults to {@link shouldRetryDefault}:
   * network errors (but not aborts), 409 and 5xx responses.
   */
  shouldRetry?: (outcome: AttemptOutcome) => boolean;
}

/** The defaults of {@link IdempotentFetchOptions}. */
export const idempotentFetchDefaults = {
  retries: 3,
  baseDelay: 100,
  maxDelay: 5_000,
  headerName: IDEMPOTENCY_KEY_HEADER,
} as const;

/** Retries network errors (not aborts), 409 Conflict (a concurrent attempt with the same key) and 5xx. */
export function shouldRetryDefault(outcome: AttemptOutcome): boolean {
  if (outcome.response) return outcome.response.status === 409 || outcome.response.status >= 500;
  return !(
    outcome.error instanceof Error &&
    (outcome.error.name === 'AbortError' || outcome.error.name === 'TimeoutError')
  );
}

/**
 * Wraps `fetch` so each GraphQL mutation request gets one `Idempotency-Key` and is retried, with
 * that same key, after network failures, 409 (honouring `Retry-After`, capped) and 5xx, with
 * jittered exponential backoff. A key the caller set is kept. Everything that is not a mutation
 * (queries, subscriptions, batched or non-string bodies, persisted queries without `query`) is
 * passed through once, unkeyed.
 *
 * @example
 * new GraphQLClient(url, { fetch: createIdempotentFetch() }) // graphql-request
 * createClient({ url, fetch: createIdempotentFetch(), exchanges: [fetchExchange] }) // urql
 */
export function createIdempotentFetch(
  fetchFn?: FetchLike | IdempotentFetchOptions,
  options: IdempotentFetchOptions = {},
): FetchLike {
  if (typeof fetchFn === 'object') return createIdempotentFetch(undefined, fetchFn);
  const send: FetchLike = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
  const {
    retries = idempotentFetchDefaults.retries,
    baseDelay = idempotentFetchDefaults.baseDelay,
    maxDelay = idempotentFetchDefaults.maxDelay,
    headerName = idempotentFetchDefaults.headerName,
    shouldRetry = shouldRetryDefault,
    generateKey = newIdempotencyKey,
  } = options;

  return async function idempotentFetch(input, init) {
    if (!isMutationBody(init?.body)) return send(input, init);
    const headers = new Headers(init?.headers);
    if (!headers.has(headerName)) headers.set(headerName, formatKeyHeader(generateKey()));
    const keyedInit: RequestInit = { ...init, headers };

    for (let attempt = 0; ; attempt++) {
      const outcome = await attemptOnce(send, input, keyedInit, attempt);
      if (attempt >= retries || init?.signal?.aborted || !shouldRetry(outcome)) {
        if (outcome.response) return outcome.response;
        throw outcome.error;
      }
      await outcome.response?.body?.cancel().catch(() => undefined);
      const serverDelay =
        outcome.response?.status === 409
          ? retryAfterDelay(outcome.response.headers.get('retry-after'), maxDelay)
          : undefined;
      await sleep(serverDelay ?? backoffDelay(attempt, baseDelay, maxDelay), init?.signal);
    }
  };
}

async function attemptOnce(
  send: FetchLike,
  input: RequestInfo | URL,
  init: RequestInit,
  attempt: number,
): Promise<AttemptOutcome> {
  try {
    return { attempt, response: await send(input, init) };
  } catch (error) {
    return { attempt, error };
  }
}
