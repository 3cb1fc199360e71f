import { ApolloLink } from '@apollo/client/link';
import { concurrentRetrySettings, type ConcurrentRetryOptions } from '../client/concurrent-retry.js';
import { chooseKey, formatKeyHeader, type KeyGeneratorOptions, type KeyHeaderOptions } from '../core/client-key.js';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';
import { forwardRidingOut409 } from './ride-out.js';

/** Options of {@link createIdempotencyLink}. */
export interface ApolloIdempotencyLinkOptions extends KeyGeneratorOptions, KeyHeaderOptions {
  /**
   * What the link does when a mutation is answered with a 409 `IDEMPOTENCY_CONCURRENT_REQUEST` (its
   * key's first attempt is still running, as after a client timeout): wait for `Retry-After` and send
   * it again with the same key, within these bounds, until the first attempt's result is replayed;
   * `false` hands the 409 to the application at once. Defaults to `{}`: every
   * {@link ConcurrentRetryOptions} default (10 re-sends, 15 s of waiting in all).
   */
  retryConcurrent?: ConcurrentRetryOptions | false;
}

/** The defaults of {@link ApolloIdempotencyLinkOptions}. */
export const apolloIdempotencyLinkDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
  retryConcurrent: {},
} as const;

/**
 * An Apollo Client link that gives each mutation one idempotency key and sends it as the
 * `Idempotency-Key` header (an RFC 8941 sf-string) through the context `headers` that `HttpLink`
 * reads. The key is the caller's when the mutation's context names one
 * (`client.mutate({ mutation, context: { idempotencyKey } })`), else a new one; it is written to
 * `context.idempotencyKey` so later links can read it. A mutation whose context `headers` already
 * carry the header keeps it unchanged. Queries and subscriptions pass through untouched.
 *
 * A 409 `IDEMPOTENCY_CONCURRENT_REQUEST` (the same key still running) is ridden out by default: the
 * link waits for `Retry-After` and forwards the same operation again, bounded by `retryConcurrent`;
 * an abort of the context's `fetchOptions.signal` ends the wait at once.
 *
 * Put it before `RetryLink` (closer to the app). `RetryLink` re-forwards the same operation
 * object on every retry, and the key lives in that operation's context, so every retry sends the
 * key of the first attempt and the server runs the mutation once; two `mutate()` calls are two
 * operations and get two keys. (Placed after `RetryLink` it still keeps the key, since the retried
 * operation already carries it, but "before" states the intent.) Send mutations through `HttpLink`:
 * a batching link shares one set of headers per batch.
 *
 * @example
 * new ApolloClient({
 *   cache: new InMemoryCache(),
 *   link: ApolloLink.from([createIdempotencyLink(), new RetryLink(), new HttpLink({ uri })]),
 * });
 */
export function createIdempotencyLink(options: ApolloIdempotencyLinkOptions = {}): ApolloLink {
  const {
    generateKey,
    headerName = apolloIdempotencyLinkDefaults.headerName,
    retryConcurrent = apolloIdempotencyLinkDefaults.retryConcurrent,
  } = options;
  const settings = retryConcurrent === false ? undefined : concurrentRetrySettings(retryConcurrent);
  return new ApolloLink((operation, forward) => {
    // Compared as a string: OperationTypeNode.MUTATION is 'mutation', and the enum lives in graphql.
    if ((operation.operationType as string) !== 'mutation') return forward(operation);
    const context = operation.getContext();
    const headers: Record<string, string> = { ...(context.headers as Record<string, string> | undefined) };
    const sameName = (name: string) => name.toLowerCase() === headerName.toLowerCase();
    const key = chooseKey(context.idempotencyKey, Object.keys(headers).some(sameName), generateKey);
    if (key !== undefined) {
      for (const name of Object.keys(headers)) if (sameName(name)) delete headers[name];
      operation.setContext({ idempotencyKey: key, headers: { ...headers, [headerName]: formatKeyHeader(key) } });
    }
    return settings ? forwardRidingOut409(operation, forward, settings) : forward(operation);
  });
}
