import { cacheExchange, Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { GraphQLClient, gql } from 'graphql-request';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdempotentFetch } from '../../../src/client/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startTestServer, type TestServer } from '../../support/servers/yoga.js';

const CREATE = gql`
  mutation Create($amount: Int!) {
    createPayment(amount: $amount) {
      id
      amount
      key
    }
  }
`;

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A Yoga server on the Redis store whose first keyed response is lost after the resolver ran. */
async function startFlakyServer() {
  const keysSeen: string[] = [];
  const server = await startTestServer({
    idempotency: { store: createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('libraries') }) },
    wrap: (handler) => (req, res) => {
      const key = req.headers['idempotency-key'];
      if (typeof key === 'string') {
        keysSeen.push(key);
        if (keysSeen.length === 1) req.socket.write = (() => req.socket.destroy()) as never;
      }
      handler(req, res);
    },
  });
  servers.push(server);
  return { ...server, keysSeen };
}

const fast = { baseDelay: 5, maxDelay: 20 };

describe('createIdempotentFetch inside real GraphQL clients', () => {
  it('graphql-request: a lost response is retried with the same key and the resolver runs once', async () => {
    const server = await startFlakyServer();
    const client = new GraphQLClient(server.url, {
      headers: { 'x-user': 'alice' },
      fetch: createIdempotentFetch(fast),
    });
    const result = await client.request<{ createPayment: { id: string; amount: number; key: string } }>(CREATE, {
      amount: 7,
    });

    expect(server.runs.createPayment).toBe(1);
    expect(server.keysSeen).toHaveLength(2);
    expect(server.keysSeen[1]).toBe(server.keysSeen[0]);
    expect(result.createPayment).toEqual({ id: 'createPayment-1', amount: 7, key: JSON.parse(server.keysSeen[0]!) });
  });

  it('urql: a lost response is retried with the same key and the resolver runs once', async () => {
    const server = await startFlakyServer();
    const client = new Client({
      url: server.url,
      exchanges: [cacheExchange, fetchExchange],
      fetch: createIdempotentFetch(fast),
      fetchOptions: { headers: { 'x-user': 'alice' } },
      preferGetMethod: false,
    });
    const result = await client.mutation(urqlGql(CREATE), { amount: 8 }).toPromise();

    expect(result.error).toBeUndefined();
    expect(server.runs.createPayment).toBe(1);
    expect(server.keysSeen).toHaveLength(2);
    expect(server.keysSeen[1]).toBe(server.keysSeen[0]);
    expect(result.data).toEqual({
      createPayment: { __typename: 'Payment', id: 'createPayment-1', amount: 8, key: JSON.parse(server.keysSeen[0]!) },
    });
  });

  it('urql: queries pass through unkeyed and run every time', async () => {
    const server = await startFlakyServer();
    const client = new Client({
      url: server.url,
      exchanges: [fetchExchange],
      fetch: createIdempotentFetch(fast),
      preferGetMethod: false,
    });
    await client.query('query { ping }', {}).toPromise();
    await client.query('query { ping }', {}).toPromise();
    expect(server.keysSeen).toEqual([]);
    expect(server.runs.ping).toBe(2);
  });
});
