/**
 * Client helpers. A retry must never get a new key (second run), and two separate
 * mutations must never share a key (one caller would get the other's result). Real clients, real
 * Yoga server over HTTP, real Redis; the server loses the first response of every key.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { RetryLink } from '@apollo/client/link/retry';
import { MutationObserver, QueryClient } from '@tanstack/query-core';
import { cacheExchange, Client, fetchExchange } from '@urql/core';
import { retryExchange } from '@urql/exchange-retry';
import { describe, expect, it } from 'vitest';
import { createIdempotencyLink } from '../../../src/apollo-client/index.js';
import { createIdempotentFetch } from '../../../src/client/index.js';
import { idempotentMutationFn } from '../../../src/tanstack-query/index.js';
import { idempotencyExchange } from '../../../src/urql/index.js';
import { CREATE_PAYMENT, distinctKeys, startLossyGraphQL } from './support/lossy-graphql.js';

type Created = { createPayment: { id: string; amount: number; key: string } };

describe('two separate, identical mutations sent at once never share a key; each retry keeps its own', () => {
  it('urql: idempotencyExchange + retryExchange (same document, same variables → same urql operation.key)', async () => {
    const server = await startLossyGraphQL({ dropPerKey: 1 });
    const client = new Client({
      url: server.url,
      exchanges: [
        cacheExchange,
        idempotencyExchange(),
        retryExchange({ initialDelayMs: 5, maxDelayMs: 20, randomDelay: false, maxNumberAttempts: 4 }),
        fetchExchange,
      ],
      fetchOptions: { headers: { 'x-user': 'alice' } },
      preferGetMethod: false,
    });
    const doc = gql(CREATE_PAYMENT);
    const [a, b] = await Promise.all([
      client.mutation(doc, { amount: 5 }).toPromise(),
      client.mutation(doc, { amount: 5 }).toPromise(),
    ]);
    expect(server.runs.createPayment).toBe(2);
    expect(distinctKeys(server.keysSeen)).toHaveLength(2);
    const ra = (a.data as Created).createPayment;
    const rb = (b.data as Created).createPayment;
    // (ids are not compared: the shared test server computes them after an await, so concurrent runs may share one)
    expect(ra.key).not.toBe(rb.key);
    expect(ra.key).toBe(a.operation.context.idempotencyKey);
    expect(rb.key).toBe(b.operation.context.idempotencyKey);
  });

  it('Apollo Client: createIdempotencyLink + RetryLink', async () => {
    const server = await startLossyGraphQL({ dropPerKey: 1 });
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: ApolloLink.from([
        createIdempotencyLink(),
        new RetryLink({ delay: { initial: 5, max: 20, jitter: false }, attempts: { max: 4 } }),
        new HttpLink({ uri: server.url, headers: { 'x-user': 'alice' } }),
      ]),
    });
    const doc = gql(CREATE_PAYMENT);
    const [a, b] = await Promise.all([
      client.mutate<Created>({ mutation: doc, variables: { amount: 5 } }),
      client.mutate<Created>({ mutation: doc, variables: { amount: 5 } }),
    ]);
    expect(server.runs.createPayment).toBe(2);
    expect(distinctKeys(server.keysSeen)).toHaveLength(2);
    expect(a.data?.createPayment.key).not.toBe(b.data?.createPayment.key);
  });

  it('TanStack Query: two mutate() calls with the same variables object, each with retries', async () => {
    const server = await startLossyGraphQL({ dropPerKey: 1 });
    const variables = { amount: 5 };
    const mutationFn = idempotentMutationFn(async (vars: { amount: number }, key: string) => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': `"${key}"` },
        body: JSON.stringify({ query: CREATE_PAYMENT, variables: vars }),
      });
      return ((await response.json()) as { data: Created }).data.createPayment;
    });
    const client = new QueryClient();
    const one = new MutationObserver(client, { retry: 3, retryDelay: 5, mutationFn });
    const two = new MutationObserver(client, { retry: 3, retryDelay: 5, mutationFn });
    const [a, b] = await Promise.all([one.mutate(variables), two.mutate(variables)]);
    expect(server.runs.createPayment).toBe(2);
    expect(distinctKeys(server.keysSeen)).toHaveLength(2);
    expect(a.key).not.toBe(b.key);
  });
});

describe('createIdempotentFetch recognises a mutation hidden behind a query, fragments and comments (operationName picks it)', () => {
  it('keys it and retries with the same key: one run', async () => {
    const server = await startLossyGraphQL({ dropPerKey: 2 });
    const idempotentFetch = createIdempotentFetch({ baseDelay: 5, maxDelay: 20 });
    const query = `
      # query Decoy2 { ping }  {  "
      query Decoy { ping }
      fragment P on Payment { id amount key }
      mutation Create($amount: Int! = 5) { createPayment(amount: $amount) { ...P } }
    `;
    const response = await idempotentFetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      body: JSON.stringify({ query, operationName: 'Create' }),
    });
    expect(response.status).toBe(200);
    expect(distinctKeys(server.keysSeen)).toHaveLength(1);
    expect(server.keysSeen).toHaveLength(3);
    expect(server.runs.createPayment).toBe(1);
  });
});
