/**
 * Attacks 17-19 (Apollo Server 5 under Express 5 via @as-integrations/express5, memory store):
 * 17 context returns only { userId }: the header is still honoured; the retry replays; one run.
 * 18 a rethrown 503 GraphQLError that carries a deeper path: the key must be freed (error policy).
 * 19 allowBatchedHttpRequests: two identical mutations under one header key, then the retry.
 */
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../src/apollo-server/index.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { listen } from './support.js';

type Ctx = { userId?: string };

async function apollo(pay: () => unknown, batching = false) {
  const server = new ApolloServer<Ctx>({
    typeDefs: `type Query { ok: Boolean! } type Mutation { pay(amount: Int!): Int! }`,
    resolvers: { Query: { ok: () => true }, Mutation: { pay } },
    allowBatchedHttpRequests: batching,
    plugins: [idempotencyPlugin<Ctx>({ store: createMemoryStore(), scope: (ctx) => ctx.userId })],
  });
  await server.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, {
      context: async ({ req }) => ({ userId: typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined }),
    }),
  );
  const url = `${await listen(createServer(app))}/graphql`;
  const post = async (body: unknown, key: string) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice', 'Idempotency-Key': key, 'apollo-require-preflight': '1' },
      body: JSON.stringify(body),
    });
    return { status: r.status, replayed: r.headers.get('idempotent-replayed'), body: (await r.json()) as any };
  };
  return { post, stop: () => server.stop() };
}

describe('Apollo Server 5 + Express 5', () => {
  it('17: context without the request still honours the header', async () => {
    let runs = 0;
    const { post, stop } = await apollo(() => ++runs);
    const a = await post({ query: 'mutation { pay(amount: 1) }' }, '"ap-1"');
    const b = await post({ query: 'mutation { pay(amount: 1) }' }, '"ap-1"');
    expect([a.body.data, b.body.data, b.replayed]).toEqual([{ pay: 1 }, { pay: 1 }, 'true']);
    expect(runs).toBe(1);
    await stop();
  });

  it('18: a 503 GraphQLError with a deeper path frees the key', async () => {
    let runs = 0;
    const { post, stop } = await apollo(() => {
      runs++;
      if (runs === 1)
        throw new GraphQLError('ledger unavailable', {
          path: ['ledger', 'debit'],
          extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
        });
      return runs;
    });
    await post({ query: 'mutation { pay(amount: 1) }' }, '"ap-503"');
    const retry = await post({ query: 'mutation { pay(amount: 1) }' }, '"ap-503"');
    expect(runs).toBe(2);
    expect(retry.body.data).toEqual({ pay: 2 });
    await stop();
  });

  it('19: a batch of two identical mutations under one header key', async () => {
    let runs = 0;
    const { post, stop } = await apollo(() => ++runs, true);
    const batch = [{ query: 'mutation { pay(amount: 5) }' }, { query: 'mutation { pay(amount: 5) }' }];
    const first = await post(batch, '"ap-batch"');
    const retry = await post(batch, '"ap-batch"');
    console.log(first.status, JSON.stringify(first.body), retry.status, JSON.stringify(retry.body), runs);
    const refused = first.status === 400 || (Array.isArray(first.body) && first.body.every((x: any) => x.errors && !x.data));
    if (refused) expect(runs).toBe(0);
    else expect(new Set((retry.body as any[]).map((x) => x.data?.pay)).size).toBe(2);
    await stop();
  });
});
