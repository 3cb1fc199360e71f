/**
 * Apollo Server 5 under Express 5 (`@as-integrations/express5`, real HTTP, memory store): the key
 * header is read from Apollo's own HTTP request whatever the context holds, a coded 503 frees the key
 * whatever its error path, and a batch under one key header is refused.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createMemoryStore } from '../../../src/stores/memory.js';
import { listen, onClose, type GraphQLBody } from '../../support/servers/yoga.js';

type Context = { userId?: string };

async function apollo(pay: () => unknown, batching = false) {
  const server = new ApolloServer<Context>({
    typeDefs: /* GraphQL */ `
      type Query {
        ok: Boolean!
      }
      type Mutation {
        pay(amount: Int!): Int!
      }
    `,
    resolvers: { Query: { ok: () => true }, Mutation: { pay } },
    allowBatchedHttpRequests: batching,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    plugins: [idempotencyPlugin<Context>({ store: createMemoryStore(), scope: (ctx) => ctx.userId })],
  });
  await server.start();
  onClose(() => server.stop());
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, {
      // The context holds only the user: no request, no headers.
      context: async ({ req }) => ({
        userId: typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined,
      }),
    }),
  );
  const url = `http://127.0.0.1:${await listen(createServer(app))}/graphql`;
  return async (body: unknown, key: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-user': 'alice',
        'Idempotency-Key': key,
        'apollo-require-preflight': '1',
      },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      body: (await response.json()) as GraphQLBody & GraphQLBody[],
    };
  };
}

describe.skipIf(graphqlMajor !== 16)('Apollo Server 5 under Express 5', () => {
  it('a context without the request still has the header honoured: the retry replays, one run', async () => {
    let runs = 0;
    const post = await apollo(() => ++runs);
    const a = await post({ query: 'mutation { pay(amount: 1) }' }, '"ap-1"');
    const b = await post({ query: 'mutation { pay(amount: 1) }' }, '"ap-1"');
    expect([a.body.data, b.body.data, b.replayed]).toEqual([{ pay: 1 }, { pay: 1 }, 'true']);
    expect(runs).toBe(1);
  });

  it('a coded 503 GraphQLError whose path points below the root field frees the key: the retry runs', async () => {
    let runs = 0;
    const post = await apollo(() => {
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
  });

  it('a batch of two identical mutations under one key header is refused, the retry too: nothing runs, no result is shared', async () => {
    let runs = 0;
    const post = await apollo(() => ++runs, true);
    const batch = [{ query: 'mutation { pay(amount: 5) }' }, { query: 'mutation { pay(amount: 5) }' }];
    for (const sent of [await post(batch, '"ap-batch"'), await post(batch, '"ap-batch"')]) {
      expect(sent.status).toBe(400);
      expect(sent.body.map((result) => result.errors?.[0]?.extensions?.code)).toEqual([
        'IDEMPOTENCY_KEY_INVALID',
        'IDEMPOTENCY_KEY_INVALID',
      ]);
      expect(sent.body.every((result) => result.data === undefined)).toBe(true);
    }
    expect(runs).toBe(0);
  });
});
