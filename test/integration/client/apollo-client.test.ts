import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { RetryLink } from '@apollo/client/link/retry';
import { describe, expect, it } from 'vitest';
import { createIdempotencyLink } from '../../../src/apollo-client/index.js';
import { createIdempotentFetch } from '../../../src/client/index.js';
import { CREATE_PAYMENT, distinctKeys, startLossyGraphQL } from './support/lossy-graphql.js';

const CREATE = gql(CREATE_PAYMENT);
const PING = gql`
  query Ping {
    ping
  }
`;
const UUID = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;

type Created = { createPayment: { id: string; amount: number; key: string } };

/** RetryLink with short delays: up to `max` attempts of one operation. */
const retryLink = (max = 6) => new RetryLink({ delay: { initial: 5, max: 20, jitter: false }, attempts: { max } });

function apollo(url: string, links: ApolloLink[], fetchFn?: typeof fetch) {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([...links, new HttpLink({ uri: url, headers: { 'x-user': 'alice' }, fetch: fetchFn })]),
  });
}

describe('createIdempotencyLink with Apollo Client RetryLink', () => {
  it('without it (the reported bug): RetryLink above createIdempotentFetch re-sends with a new key and the mutation runs twice', async () => {
    const server = await startLossyGraphQL({ dropFirst: 5 });
    const client = apollo(server.url, [retryLink()], createIdempotentFetch({ baseDelay: 5, maxDelay: 20 }));

    await client.mutate<Created>({ mutation: CREATE, variables: { amount: 5 } });

    expect(server.dropped()).toBe(5);
    expect(distinctKeys(server.keysSeen)).toHaveLength(2);
    expect(server.runs.createPayment).toBe(2);
  });

  it('keeps one key across every RetryLink retry: lost responses cost no second run, and the result is the replay', async () => {
    const server = await startLossyGraphQL({ dropFirst: 3 });
    const client = apollo(server.url, [createIdempotencyLink(), retryLink()]);

    const result = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 7 } });

    expect(server.dropped()).toBe(3);
    expect(server.keysSeen).toHaveLength(4);
    expect(distinctKeys(server.keysSeen)).toHaveLength(1);
    expect(server.keysSeen[0]).toMatch(UUID);
    expect(server.runs.createPayment).toBe(1);
    expect(result.data?.createPayment).toEqual({
      __typename: 'Payment',
      id: 'createPayment-1',
      amount: 7,
      key: JSON.parse(server.keysSeen[0]!),
    });
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('composes with createIdempotentFetch below it: the reported five lost responses run the mutation once, under one key', async () => {
    const server = await startLossyGraphQL({ dropFirst: 5 });
    const client = apollo(
      server.url,
      [createIdempotencyLink(), retryLink()],
      createIdempotentFetch({ baseDelay: 5, maxDelay: 20 }),
    );

    const result = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 5 } });

    expect(server.dropped()).toBe(5);
    expect(distinctKeys(server.keysSeen)).toHaveLength(1);
    expect(server.runs.createPayment).toBe(1);
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('keeps the key when placed after RetryLink as well: the retried operation already carries it', async () => {
    const server = await startLossyGraphQL({ dropFirst: 3 });
    const client = apollo(server.url, [retryLink(), createIdempotencyLink()]);

    const result = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 6 } });

    expect(distinctKeys(server.keysSeen)).toHaveLength(1);
    expect(server.keysSeen).toHaveLength(4);
    expect(server.runs.createPayment).toBe(1);
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('gives two separate mutations two keys and two runs, each kept across its own retries', async () => {
    const server = await startLossyGraphQL({ dropPerKey: 2 });
    const client = apollo(server.url, [createIdempotencyLink(), retryLink()]);

    const first = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 3 } });
    const second = await client.mutate<Created>({ mutation: CREATE, variables: { amount: 3 } });

    const keys = distinctKeys(server.keysSeen);
    expect(server.keysSeen).toHaveLength(6);
    expect(keys).toHaveLength(2);
    expect(server.keysSeen).toEqual([keys[0], keys[0], keys[0], keys[1], keys[1], keys[1]]);
    expect(server.runs.createPayment).toBe(2);
    expect(first.data?.createPayment.id).toBe('createPayment-1');
    expect(second.data?.createPayment.id).toBe('createPayment-2');
  });

  it('uses a caller-chosen key from the operation context as given, and replays it to a later mutate()', async () => {
    const server = await startLossyGraphQL({ dropFirst: 1 });
    const client = apollo(server.url, [createIdempotencyLink({ generateKey: () => 'never' }), retryLink()]);
    const chosen = 'order "42"';

    const first = await client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 4 },
      context: { idempotencyKey: chosen },
    });
    const again = await client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 4 },
      context: { idempotencyKey: chosen },
    });

    expect(server.keysSeen).toEqual(['"order \\"42\\""', '"order \\"42\\""', '"order \\"42\\""']);
    expect(server.runs.createPayment).toBe(1);
    expect(first.data?.createPayment.key).toBe(chosen);
    expect(again.data).toEqual(first.data);
    expect(again.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('keeps an Idempotency-Key header the caller already put in the context headers, on every retry', async () => {
    const server = await startLossyGraphQL({ dropFirst: 2 });
    const client = apollo(server.url, [createIdempotencyLink({ generateKey: () => 'never' }), retryLink()]);

    await client.mutate<Created>({
      mutation: CREATE,
      variables: { amount: 2 },
      context: { headers: { 'Idempotency-Key': '"mine"' } },
    });

    expect(server.keysSeen).toEqual(['"mine"', '"mine"', '"mine"']);
    expect(server.runs.createPayment).toBe(1);
  });

  it('leaves queries untouched; a custom header name is used for mutations', async () => {
    const server = await startLossyGraphQL();
    const sent: Headers[] = [];
    const recording: typeof fetch = (input, init) => {
      sent.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const client = apollo(
      server.url,
      [createIdempotencyLink({ headerName: 'X-Request-Key', generateKey: () => 'k-1' }), retryLink()],
      recording,
    );

    await client.query({ query: PING, fetchPolicy: 'network-only' });
    await client.mutate<Created>({ mutation: CREATE, variables: { amount: 1 } });

    expect(sent.map((headers) => headers.get('x-request-key'))).toEqual([null, '"k-1"']);
    expect(sent.map((headers) => headers.get('idempotency-key'))).toEqual([null, null]);
    expect(server.runs.ping).toBe(1);
  });
});
