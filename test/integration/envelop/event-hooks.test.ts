/**
 * Observer hooks (onEvent / instrument) that throw or reject never change the outcome (Yoga, real
 * Redis). Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { describe, expect, it } from 'vitest';
import {
  asSfString as as,
  post,
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
