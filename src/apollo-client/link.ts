import { ApolloLink } from '@apollo/client/link';
import { chooseKey, formatKeyHeader, type ClientKeyOptions } from '../core/client-key.js';
import { IDEMPOTENCY_KEY_HEADER } from '../core/http.js';

/** Options of {@link createIdempotencyLink}. */
export type IdempotencyLinkOptions = ClientKeyOptions;

/** The defaults of {@link IdempotencyLinkOptions}. */
export const idempotencyLinkDefaults = {
  headerName: IDEMPOTENCY_KEY_HEADER,
} as const;

/**
 * An Apollo Client link that gives each mutation one idempotency key and sends it as the
 * `Idempotency-Key` header (an RFC 8941 sf-string) through the context `headers` that `HttpLink`
 * reads. The key is the caller's when the mutation's context names one
 * (`client.mutate({ mutation, context: { idempotencyKey } })`), else a new one; it is written to
 * `context.idempotencyKey` so later links can read it. A mutation whose context `headers` already
 * carry the header keeps it unchanged. Queries and subscriptions pass through untouched.
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
export function createIdempotencyLink(options: IdempotencyLinkOptions = {}): ApolloLink {
  const { generateKey, headerName = idempotencyLinkDefaults.headerName } = options;
  return new ApolloLink((operation, forward) => {
    // Compared as a string: OperationTypeNode.MUTATION is 'mutation', and the enum lives in graphql.
    if ((operation.operationType as string) !== 'mutation') return forward(operation);
    const context = operation.getContext();
    const headers: Record<string, string> = { ...(context.headers as Record<string, string> | undefined) };
    const sameName = (name: string) => name.toLowerCase() === headerName.toLowerCase();
    const key = chooseKey(context.idempotencyKey, Object.keys(headers).some(sameName), generateKey);
    if (key === undefined) return forward(operation);
    for (const name of Object.keys(headers)) if (sameName(name)) delete headers[name];
    operation.setContext({ idempotencyKey: key, headers: { ...headers, [headerName]: formatKeyHeader(key) } });
    return forward(operation);
  });
}
