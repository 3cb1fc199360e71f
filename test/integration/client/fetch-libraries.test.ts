/**
 * createIdempotentFetch inside real GraphQL clients (graphql-request, urql) against the Yoga payments
 * server whose first keyed response is lost: the retry carries the same key, the resolver runs once.
 */
import { cacheExchange, Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { GraphQLClient } from 'graphql-request';
import { describe, expect, it } from 'vitest';
import { createIdempotentFetch } from '../../../src/client/index.js';
import { CREATE_PAYMENT, startLossyGraphQL } from './support/lossy-graphql.js';

const CREATE = CREATE_PAYMENT;

/** The Yoga payments server on the Redis store whose first keyed response is lost after the resolver ran. */
const startFlakyServer = () => startLossyGraphQL({ dropFirst: 1 });

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
    expect(server.keysSeen).toEqual([undefined, undefined]);
    expect(server.runs.ping).toBe(2);
  });
});
