import { graphqlMajor } from '../../../src/graphql/index.js';
/**
 * Observer hooks (onEvent / instrument) and Apollo Server's share of the GraphQL fingerprint.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { describe, expect, it } from 'vitest';
import { idempotencyPlugin } from '../../../src/apollo-server/index.js';
import {
  asSfString as as,
  codes,
  dryRunPay,
  dryRunTypeDefs,
  onClose,
  post,
  redisStore,
  sleep,
  startYogaUrl as startYoga,
  watchUnhandledRejections,
} from '../../support/servers/yoga.js';

describe('an async onEvent handler that rejects (a logger that awaits a sink)', () => {
  it('is swallowed like a throwing one: no unhandled rejection (which kills a Node server by default), the mutation runs once', async () => {
    const unhandled = watchUnhandledRejections();
    let runs = 0;
    const url = await startYoga({
      label: 'async-onevent',
      typeDefs: 'type Query { ok: Boolean } type Mutation { pay(amount: Int!): Int! }',
      resolvers: { Mutation: { pay: (_: unknown, { amount }: { amount: number }) => (runs++, amount) } },
      idempotency: {
        onEvent: (async () => {
          throw new Error('log sink down');
        }) as never,
      },
    });
    const first = await post(url, { query: 'mutation { pay(amount: 5) }' }, as('alice', 'e-1'));
    const again = await post(url, { query: 'mutation { pay(amount: 5) }' }, as('alice', 'e-1'));
    await sleep(50);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(runs).toBe(1);
    expect(unhandled).toEqual([]);
  });
});

describe('an instrument hook that throws, or returns an observer whose hooks throw / are async and reject', () => {
  it('never changes the outcome: one run, replay, no key left locked, no unhandled rejection', async () => {
    const unhandled = watchUnhandledRejections();
    let runs = 0;
    let n = 0;
    const url = await startYoga({
      label: 'instrument',
      typeDefs: 'type Query { ok: Boolean } type Mutation { pay(amount: Int!): Int! }',
      resolvers: { Mutation: { pay: (_: unknown, { amount }: { amount: number }) => (runs++, amount) } },
      idempotency: {
        instrument: (() => {
          n++;
          if (n % 2 === 0) throw new Error('tracer down');
          return {
            onEvent: async () => {
              throw new Error('span exporter down');
            },
            end: () => {
              throw new Error('end failed');
            },
          };
        }) as never,
      },
    });
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await post(url, { query: 'mutation { pay(amount: 5) }' }, as('alice', 'i-1')));
    await sleep(50);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(runs).toBe(1);
    expect(unhandled).toEqual([]);
  });
});

describe.skipIf(graphqlMajor !== 16)('Apollo Server: an operation-level directive is in the fingerprint', () => {
  it('a dry run then a real charge under one key: the second is 422, never the dry run replayed', async () => {
    let runs = 0;
    type Ctx = { user?: string };
    const server = new ApolloServer<Ctx>({
      typeDefs: dryRunTypeDefs,
      resolvers: { Mutation: { pay: dryRunPay(() => runs++) } },
      plugins: [idempotencyPlugin<Ctx>({ store: redisStore('apollo-op-directive'), scope: (ctx) => ctx.user })],
    });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({
        user: typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined,
      }),
    });
    onClose(() => server.stop());
    const preview = await post(
      url,
      { query: 'mutation @dryRun { pay(amount: 500) { charged amount } }' },
      as('alice', 'ap-1'),
    );
    expect(preview.json.data).toEqual({ pay: { charged: false, amount: 500 } });
    const real = await post(url, { query: 'mutation { pay(amount: 500) { charged amount } }' }, as('alice', 'ap-1'));
    expect({ status: real.status, codes: codes(real.json) }).toEqual({
      status: 422,
      codes: ['IDEMPOTENCY_KEY_PARAMETER_MISMATCH'],
    });
    expect(runs).toBe(1);
  });
});
