/**
 * Client helpers reusing keys across separate mutations, and a tRPC batch under one header
 * when the context exposes only `headers`.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { ApolloClient, gql, HttpLink, InMemoryCache, ApolloLink } from '@apollo/client';
import { MutationObserver, QueryClient } from '@tanstack/query-core';
import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createIdempotencyLink } from '../../../src/apollo-client/index.js';
import { idempotentMutationFn } from '../../../src/tanstack-query/index.js';
import { idempotency } from '../../../src/trpc/index.js';
import { serve, userOf } from '../../support/servers/trpc/servers.js';
import { redisStore, startYogaUrl as startYoga } from '../../support/servers/yoga.js';

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

describe('tRPC httpBatchLink-style batch under one Idempotency-Key header, the context exposing only `headers` (no req, no info)', () => {
  it('no call of the batch is answered with another call’s result', async () => {
    type C = { headers: Record<string, string | string[] | undefined>; user?: string };
    const t = initTRPC.context<C>().create();
    let runs = 0;
    const router = t.router({
      pay: t.procedure
        .use(idempotency<C>({ store: redisStore('batch-headers'), scope: ({ ctx }) => ctx.user }))
        .input((raw: unknown) => raw as { to: string })
        .mutation(({ input }) => ({ run: ++runs, to: input.to })),
    });
    const url = await serve(router, ({ req }) => ({ headers: req.headers, user: userOf({ req }) }));
    const response = await fetch(`${url}/pay,pay?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': '"batch-1"' },
      body: JSON.stringify({ 0: { to: 'bob' }, 1: { to: 'carol' } }),
    });
    const body = (await response.json()) as { result?: { data: { to: string } }; error?: unknown }[];
    const tos = body.map((item) => item.result?.data.to);
    // Every answered call carries its own recipient; the other is refused (documented), never bob's result for carol.
    expect(tos[0] === undefined || tos[0] === 'bob').toBe(true);
    expect(tos[1] === undefined || tos[1] === 'carol').toBe(true);
    expect(runs).toBeLessThanOrEqual(1);
  });
});
