import { makeOperation, mapExchange, type Exchange, type Operation } from '@urql/core';
import { chooseKey, formatKeyHeader, type ClientKeyOptions } from '../core/client-key.js';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';

/** Options of {@link idempotencyExchange}. */
export type IdempotencyExchangeOptions = ClientKeyOptions;

/** The defaults of {@link IdempotencyExchangeOptions}. */
export const idempotencyExchangeDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
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
 * Put it before `retryExchange`. The key travels in the operation's context, and `retryExchange`
 * re-sends the failed operation with that same context, so every retry carries the key of the
 * first attempt and the server runs the mutation once. State is not keyed on `operation.key`:
 * urql gives two mutations with the same document and variables the same `key`, and they must
 * get two idempotency keys; each `client.mutation()` call is a new operation and gets its own.
 *
 * @example
 * createClient({ url, exchanges: [cacheExchange, idempotencyExchange(), retryExchange({}), fetchExchange] });
 */
export function idempotencyExchange(options: IdempotencyExchangeOptions = {}): Exchange {
  const { generateKey, headerName = idempotencyExchangeDefaults.headerName } = options;
  return mapExchange({
    onOperation(operation) {
      if (operation.kind !== 'mutation') return operation;
      const key = chooseKey(
        operation.context.idempotencyKey,
        new Headers(fetchOptionsOf(operation).headers).has(headerName),
        generateKey,
      );
      if (key === undefined) return operation;
      return makeOperation(operation.kind, operation, {
        ...operation.context,
        idempotencyKey: key,
        fetchOptions: withKeyHeader(operation.context.fetchOptions, headerName, formatKeyHeader(key)),
      });
    },
  });
}

function fetchOptionsOf(operation: Operation): RequestInit {
  const { fetchOptions } = operation.context;
  return (typeof fetchOptions === 'function' ? fetchOptions() : fetchOptions) ?? {};
}

/** The operation's `fetchOptions` with the key header set; a function stays a function, called when urql asks. */
function withKeyHeader(
  fetchOptions: RequestInit | (() => RequestInit) | undefined,
  name: string,
  value: string,
): RequestInit | (() => RequestInit) {
  const add = (init: RequestInit = {}): RequestInit => {
    const headers = new Headers(init.headers);
    headers.set(name, value);
    return { ...init, headers: Object.fromEntries(headers) };
  };
  return typeof fetchOptions === 'function' ? () => add(fetchOptions()) : add(fetchOptions);
}
