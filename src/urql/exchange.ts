import { makeOperation, type Exchange, type Operation } from '@urql/core';
import { map, pipe } from 'wonka';
import { concurrentRetrySettings, type ConcurrentRetryOptions } from '../client/concurrent-retry.js';
import { chooseKey, formatKeyHeader, type KeyGeneratorOptions, type KeyHeaderOptions } from '../core/client-key.js';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';
import { fetchOptionsOf, withKeyHeader } from './fetch-options.js';
import { forwardRidingOut409, withFreshBudget } from './ride-out.js';

/** Options of {@link idempotencyExchange}. */
export interface UrqlIdempotencyExchangeOptions extends KeyGeneratorOptions, KeyHeaderOptions {
  /**
   * What the exchange does when a mutation is answered with a 409 `IDEMPOTENCY_CONCURRENT_REQUEST`
   * (its key's first attempt is still running, as after a client timeout): wait for `Retry-After`
   * and send it again with the same key, within these bounds, until the first attempt's result is
   * replayed; `false` hands the 409 to the application at once. Defaults to `{}`: every
   * {@link ConcurrentRetryOptions} default (10 re-sends, 15 s of waiting in all).
   */
  retryConcurrent?: ConcurrentRetryOptions | false;
}

/** The defaults of {@link UrqlIdempotencyExchangeOptions}. */
export const urqlIdempotencyExchangeDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
  retryConcurrent: {},
} as const;

/**
 * An urql exchange that gives each mutation operation one idempotency key and sends it as the
 * `Idempotency-Key` header (an RFC 8941 sf-string) through the operation's `fetchOptions`. The key
 * is the caller's when the operation context names one
 * (`client.mutation(doc, variables, { idempotencyKey })`), else a new one; it is written to
 * `operation.context.idempotencyKey`. A mutation that already carries a key there keeps it, and so
 * does one whose `fetchOptions` headers already hold the header. Queries, subscriptions and
 * teardowns pass through untouched.
 *
 * A 409 `IDEMPOTENCY_CONCURRENT_REQUEST` (the same key still running) is ridden out by default: the
 * exchange waits for `Retry-After` and forwards the same operation again, bounded by
 * `retryConcurrent`; a teardown of the operation, or an abort of a `signal` in its `fetchOptions`,
 * ends the wait at once.
 *
 * Put it before `retryExchange`. The key travels in the operation's context, and `retryExchange`
 * re-sends the failed operation with that same context, so every retry carries the key of the
 * first attempt and the server runs the mutation once. State is not keyed on `operation.key`:
 * urql gives two mutations with the same document and variables the same `key`, and they must
 * get two idempotency keys; each `client.mutation()` call is a new operation and gets its own.
 *
 * @example
 * createClient({ url, exchanges: [cacheExchange, idempotencyExchange(), retryExchange({}), fetchExchange] });
 */
export function idempotencyExchange(options: UrqlIdempotencyExchangeOptions = {}): Exchange {
  const {
    generateKey,
    headerName = urqlIdempotencyExchangeDefaults.headerName,
    retryConcurrent = urqlIdempotencyExchangeDefaults.retryConcurrent,
  } = options;
  const settings = retryConcurrent === false ? undefined : concurrentRetrySettings(retryConcurrent);

  const keyed = (operation: Operation): Operation => {
    if (operation.kind !== 'mutation') return operation;
    const key = chooseKey(
      operation.context.idempotencyKey,
      new Headers(fetchOptionsOf(operation).headers).has(headerName),
      generateKey,
    );
    const context = settings ? withFreshBudget(operation, settings) : operation.context;
    if (key === undefined) return settings ? makeOperation(operation.kind, operation, context) : operation;
    return makeOperation(operation.kind, operation, {
      ...context,
      idempotencyKey: key,
      fetchOptions: withKeyHeader(operation.context.fetchOptions, headerName, formatKeyHeader(key)),
    });
  };

  return ({ forward }) =>
    (operations$) => {
      const keyed$ = pipe(operations$, map(keyed));
      return settings ? forwardRidingOut409(keyed$, forward) : forward(keyed$);
    };
}
