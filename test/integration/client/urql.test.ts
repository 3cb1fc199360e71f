import { cacheExchange, Client, fetchExchange, gql, type Exchange } from '@urql/core';
import { retryExchange } from '@urql/exchange-retry';
import { describe, expect, it } from 'vitest';
import { createIdempotentFetch } from '../../../src/client/index.js';
import { idempotencyExchange } from '../../../src/urql/index.js';
import { CREATE_PAYMENT, distinctKeys, startLossyGraphQL } from './support/lossy-graphql.js';

const CREATE = gql(CREATE_PAYMENT);
const UUID = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;

/** retryExchange with short delays: up to `attempts` sends of one operation. */
const retry = (attempts = 6) =>
  retryExchange({ initialDelayMs: 5, maxDelayMs: 20, randomDelay: false, maxNumberAttempts: attempts });

function urql(
  url: string,
  exchanges: Exchange[],
  options: { fetch?: typeof fetch; fetchOptions?: RequestInit | (() => RequestInit) } = {},
) {
  return new Client({
    url,
    exchanges: [cacheExchange, ...exchanges, fetchExchange],
    fetch: options.fetch,
    fetchOptions: options.fetchOptions ?? { headers: { 'x-user': 'alice' } },
    preferGetMethod: false,
  });
}

describe('idempotencyExchange with urql retryExchange', () => {
  it('without it (the reported bug): retryExchange above createIdempotentFetch re-sends with a new key and the mutation runs twice', async () => {
    const server = await startLossyGraphQL({ dropFirst: 5 });
    const client = urql(server.url, [retry()], { fetch: createIdempotentFetch({ baseDelay: 5, maxDelay: 20 }) });

    await client.mutation(CREATE, { amount: 5 }).toPromise();

    expect(server.dropped()).toBe(5);
    expect(distinctKeys(server.keysSeen)).toHaveLength(2);
    expect(server.runs.createPayment).toBe(2);
  });

  it('keeps one key across every retryExchange re-send: lost responses cost no second run, and the result is the replay', async () => {
    const server = await startLossyGraphQL({ dropFirst: 3 });
    const client = urql(server.url, [idempotencyExchange(), retry()]);

    const result = await client.mutation(CREATE, { amount: 7 }).toPromise();

    expect(result.error).toBeUndefined();
    expect(server.dropped()).toBe(3);
    expect(server.keysSeen).toHaveLength(4);
    expect(distinctKeys(server.keysSeen)).toHaveLength(1);
    expect(server.keysSeen[0]).toMatch(UUID);
    expect(server.runs.createPayment).toBe(1);
    expect(result.data).toEqual({
      createPayment: { __typename: 'Payment', id: 'createPayment-1', amount: 7, key: JSON.parse(server.keysSeen[0]!) },
    });
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
    expect(result.operation.context.idempotencyKey).toBe(JSON.parse(server.keysSeen[0]!));
  });

  it('composes with createIdempotentFetch below it: the reported five lost responses run the mutation once, under one key', async () => {
    const server = await startLossyGraphQL({ dropFirst: 5 });
    const client = urql(server.url, [idempotencyExchange(), retry()], {
      fetch: createIdempotentFetch({ baseDelay: 5, maxDelay: 20 }),
    });

    const result = await client.mutation(CREATE, { amount: 5 }).toPromise();

    expect(server.dropped()).toBe(5);
    expect(distinctKeys(server.keysSeen)).toHaveLength(1);
    expect(server.runs.createPayment).toBe(1);
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('gives two separate mutations with the same document and variables (one urql operation key) two keys and two runs', async () => {
    const server = await startLossyGraphQL({ dropPerKey: 2 });
    const client = urql(server.url, [idempotencyExchange(), retry()]);

    const first = await client.mutation(CREATE, { amount: 3 }).toPromise();
    const second = await client.mutation(CREATE, { amount: 3 }).toPromise();

    const keys = distinctKeys(server.keysSeen);
    expect(first.operation.key).toBe(second.operation.key);
    expect(keys).toHaveLength(2);
    expect(server.keysSeen).toEqual([keys[0], keys[0], keys[0], keys[1], keys[1], keys[1]]);
    expect(server.runs.createPayment).toBe(2);
    expect(first.data?.createPayment.id).toBe('createPayment-1');
    expect(second.data?.createPayment.id).toBe('createPayment-2');
  });

  it('uses a caller-chosen key from the operation context as given, and replays it to a later mutation', async () => {
    const server = await startLossyGraphQL({ dropFirst: 1 });
    const client = urql(server.url, [idempotencyExchange({ generateKey: () => 'never' }), retry()]);
    const chosen = 'order "42"';

    const first = await client.mutation(CREATE, { amount: 4 }, { idempotencyKey: chosen }).toPromise();
    const again = await client.mutation(CREATE, { amount: 4 }, { idempotencyKey: chosen }).toPromise();

    expect(server.keysSeen).toEqual(['"order \\"42\\""', '"order \\"42\\""', '"order \\"42\\""']);
    expect(server.runs.createPayment).toBe(1);
    expect(first.data?.createPayment.key).toBe(chosen);
    expect(again.data).toEqual(first.data);
    expect(again.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('keeps an Idempotency-Key header the caller already put in fetchOptions, on every retry', async () => {
    const server = await startLossyGraphQL({ dropFirst: 2 });
    const client = urql(server.url, [idempotencyExchange({ generateKey: () => 'never' }), retry()]);

    const result = await client
      .mutation(
        CREATE,
        { amount: 2 },
        { fetchOptions: { headers: { 'x-user': 'alice', 'Idempotency-Key': '"mine"' } } },
      )
      .toPromise();

    expect(server.keysSeen).toEqual(['"mine"', '"mine"', '"mine"']);
    expect(server.runs.createPayment).toBe(1);
    expect(result.extensions).toEqual({ idempotency: { replayed: true } });
  });

  it('keeps the caller fetchOptions (also as a function), leaves queries untouched, and honours a custom header name', async () => {
    const server = await startLossyGraphQL();
    const sent: Headers[] = [];
    const recording: typeof fetch = (input, init) => {
      sent.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const client = urql(
      server.url,
      [idempotencyExchange({ headerName: 'X-Request-Key', generateKey: () => 'k-1' }), retry()],
      {
        fetch: recording,
        fetchOptions: () => ({ headers: [['X-User', 'alice']] }),
      },
    );

    await client.query('query { ping }', {}, { requestPolicy: 'network-only' }).toPromise();
    await client.mutation(CREATE, { amount: 1 }).toPromise();

    expect(sent.map((headers) => headers.get('x-request-key'))).toEqual([null, '"k-1"']);
    expect(sent.map((headers) => headers.get('x-user'))).toEqual(['alice', 'alice']);
    expect(sent.map((headers) => headers.get('idempotency-key'))).toEqual([null, null]);
    expect(server.runs.ping).toBe(1);
    expect(server.runs.createPayment).toBe(1);
  });
});
