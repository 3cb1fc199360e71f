// Issue #18 ("Clients that give up on 409"): the documented Apollo Client set-up surfaced
// IDEMPOTENCY_CONCURRENT_REQUEST when a retry arrived while the first attempt still ran.
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createIdempotencyLink, type ApolloIdempotencyLinkOptions } from '../../../src/apollo-client/index.js';
import { CREATE_PAYMENT, startHeldMutationServer } from './held-mutation-server.js';

const CREATE = gql(CREATE_PAYMENT);
const UUID = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;
type Created = { createPayment: { id: string; amount: number; key: string } };

/**
 * The two ways HttpLink hands a 409 up: as a GraphQL result (`application/graphql-response+json`,
 * Apollo Client 4's preferred media type) or as a ServerError (a client that accepts only
 * `application/json`).
 */
const MEDIA_TYPES = [
  { accept: 'application/graphql-response+json,application/json;q=0.9', as: 'result' },
  { accept: 'application/json', as: 'ServerError' },
] as const;

function apollo(url: string, accept: string, options: ApolloIdempotencyLinkOptions = {}, below: ApolloLink[] = []) {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([
      createIdempotencyLink(options),
      ...below,
      new HttpLink({ uri: url, headers: { 'x-user': 'alice', accept } }),
    ]),
  });
}

/**
 * A link below createIdempotencyLink and a promise that resolves once it has passed a 409 up: by
 * then createIdempotencyLink has received it (in the same synchronous emission) and is waiting.
 */
function refusalSeen(): { link: ApolloLink; seen: Promise<void> } {
  let seen!: () => void;
  const promise = new Promise<void>((resolve) => (seen = resolve));
  const link = new ApolloLink((operation, forward) =>
    forward(operation).pipe(
      tap({
        next: (result) => void ('errors' in result && result.errors?.length && seen()),
        error: (error: unknown) => void (ServerError.is(error) && error.statusCode === 409 && seen()),
      }),
    ),
  );
  return { link, seen: promise };
}

/** The concurrent-request code of what mutate() rejected with, in either media type. */
function codeOf(error: unknown): unknown {
  if (CombinedGraphQLErrors.is(error)) return error.errors[0]?.extensions?.code;
  if (ServerError.is(error)) {
    expect(error.statusCode).toBe(409);
    return (JSON.parse(error.bodyText) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code;
  }
  throw error;
}

describe.each(MEDIA_TYPES)('createIdempotencyLink rides out a 409 (409 as a $as)', ({ accept }) => {
  it('a retry of the same mutation after a client timeout (same key) waits, receives the first attempt’s result, and the body runs once', async () => {
    const server = await startHeldMutationServer();
    const client = apollo(server.url, accept);
    const timeout = new AbortController();

    const first = client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 5 },
      context: { idempotencyKey: 'checkout-1', fetchOptions: { signal: timeout.signal } },
    });
    await server.bodyStarted();
    timeout.abort(new Error('client timeout'));
    await expect(first).rejects.toThrow('client timeout');

    const retry = client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 5 },
      context: { idempotencyKey: 'checkout-1' },
    });
    await server.answered('"checkout-1"', 409);
    server.release();
    const result = await retry;

    expect(result.data?.createPayment).toEqual({
      __typename: 'Payment',
      id: 'createPayment-1',
      amount: 5,
      key: 'checkout-1',
    });
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
    expect(server.runs.createPayment).toBe(1);
    const statuses = server.requests.slice(1).map((seen) => seen.status);
    expect(statuses.slice(0, -1).every((status) => status === 409)).toBe(true);
    expect(statuses.at(-1)).toBe(200);
    expect(server.requests.map((seen) => seen.key)).toEqual(server.requests.map(() => '"checkout-1"'));

    // A new logical mutation gets a new key, and runs.
    const next = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 5 } });
    expect(server.requests.at(-1)?.key).toMatch(UUID);
    expect(next.data?.createPayment.id).toBe('createPayment-2');
    expect(server.runs.createPayment).toBe(2);
  });

  it('mints the key once per logical mutation: every re-send after a 409 carries it, and the bound hands the last 409 over', async () => {
    const server = await startHeldMutationServer();
    let minted = 0;
    const client = apollo(server.url, accept, {
      generateKey: () => (minted++, 'order-7'),
      retryConcurrent: { retries: 2 },
    });

    const first = apollo(server.url, accept).mutate<Created>({
      mutation: CREATE,
      variables: { amount: 3 },
      context: { idempotencyKey: 'order-7' },
    });
    await server.bodyStarted();
    const error = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 3 } }).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(codeOf(error)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    expect(minted).toBe(1);
    expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
      ['"order-7"', undefined], // the first attempt, still held
      ['"order-7"', 409],
      ['"order-7"', 409], // re-send 1
      ['"order-7"', 409], // re-send 2: the bound
    ]);
    server.release();
    expect((await first).data?.createPayment.key).toBe('order-7');
    expect(server.runs.createPayment).toBe(1);
  });

  it('an abort of the operation’s signal ends the wait at once and sends nothing more', async () => {
    const server = await startHeldMutationServer(60); // Retry-After: 60 s, longer than the test's timeout
    const refusal = refusalSeen();
    const client = apollo(server.url, accept, { retryConcurrent: { maxDelay: 60_000, maxTotalWait: 120_000 } }, [
      refusal.link,
    ]);
    const first = client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 4 },
      context: { idempotencyKey: 'cart-9' },
    });
    await server.bodyStarted();
    const leave = new AbortController();

    const retry = client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 4 },
      context: { idempotencyKey: 'cart-9', fetchOptions: { signal: leave.signal } },
    });
    await refusal.seen; // the link now waits out the 409's Retry-After
    leave.abort(new Error('user left the page'));

    await expect(retry).rejects.toThrow('user left the page');
    server.release();
    await first;
    expect(server.requests.map((seen) => [seen.key, seen.status])).toEqual([
      ['"cart-9"', 200],
      ['"cart-9"', 409],
    ]);
    expect(server.runs.createPayment).toBe(1);
  });

  it('retryConcurrent: false, or a Retry-After beyond maxTotalWait, hands the first 409 over at once', async () => {
    const server = await startHeldMutationServer();
    const first = apollo(server.url, accept).mutate<Created>({
      mutation: CREATE,
      variables: { amount: 2 },
      context: { idempotencyKey: 'k-1' },
    });
    await server.bodyStarted();

    for (const retryConcurrent of [false, { maxTotalWait: 500 }] as const) {
      const error = await apollo(server.url, accept, { retryConcurrent })
        .mutate<Created>({ mutation: CREATE, variables: { amount: 2 }, context: { idempotencyKey: 'k-1' } })
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(codeOf(error)).toBe('IDEMPOTENCY_CONCURRENT_REQUEST');
    }
    expect(server.requests.map((seen) => seen.status)).toEqual([undefined, 409, 409]);
    server.release();
    await first;
  });
});
