/**
 * Client helpers reusing keys across separate mutations: one context object reused by two mutate()
 * calls, one MutationObserver mutating twice. (A tRPC batch under one header with a `headers`-only
 * context, once here, is a server test: trpc/batch.test.ts.)
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { ApolloClient, gql, HttpLink, InMemoryCache, ApolloLink } from '@apollo/client';
import { MutationObserver, QueryClient } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { createIdempotencyLink } from '../../../src/apollo-client/index.js';
import { idempotentMutationFn } from '../../../src/tanstack-query/index.js';
import { startYogaUrl as startYoga } from '../../support/servers/yoga.js';

const PAY = 'mutation Pay($amount: Int!) { pay(amount: $amount) }';

async function payServer() {
  const runs = { n: 0 };
  const url = await startYoga({
    label: 'clients',
    typeDefs: 'type Query { ok: Boolean } type Mutation { pay(amount: Int!): Int! }',
    resolvers: { Mutation: { pay: () => ++runs.n } },
  });
  return { url, runs };
}

describe('Apollo Client: one context object reused by two mutate() calls (as a component passes the same options every click)', () => {
  it('two separate payments run twice (the link does not write the key back into the shared context)', async () => {
    const { url, runs } = await payServer();
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: ApolloLink.from([createIdempotencyLink(), new HttpLink({ uri: url, headers: { 'x-user': 'alice' } })]),
    });
    const context = { headers: { 'x-trace': 'one' } };
    const a = await client.mutate<{ pay: number }>({ mutation: gql(PAY), variables: { amount: 5 }, context });
    const b = await client.mutate<{ pay: number }>({ mutation: gql(PAY), variables: { amount: 5 }, context });
    expect([a.data?.pay, b.data?.pay]).toEqual([1, 2]);
    expect(runs.n).toBe(2);
  });
});

describe('TanStack Query: one MutationObserver (useMutation) mutating twice with the same variables object', () => {
  it('two executions, two keys, two runs', async () => {
    const { url, runs } = await payServer();
    const variables = { amount: 5 };
    const mutationFn = idempotentMutationFn(async (vars: { amount: number }, key: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': `"${key}"` },
        body: JSON.stringify({ query: PAY, variables: vars }),
      });
      return ((await response.json()) as { data: { pay: number } }).data.pay;
    });
    const observer = new MutationObserver(new QueryClient(), { retry: 2, retryDelay: 1, mutationFn });
    const a = await observer.mutate(variables);
    const b = await observer.mutate(variables);
    expect([a, b]).toEqual([1, 2]);
    expect(runs.n).toBe(2);
  });
});
