/**
 * Attack 20: getKey returns a client-controlled value that is not a string: an empty array (graphql-ws
 * connection params `{ idempotencyKey: [] }`, or a `headers['x-key']`-style lookup that yields []).
 * Promise (semantics.md): "a carrier that holds a number, boolean, object or array: anything but a string"
 * is refused with 400 IDEMPOTENCY_KEY_INVALID; only undefined / null mean no key. Never fails open.
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useIdempotency } from '../../src/envelop/index.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { idempotency } from '../../src/trpc/index.js';
import { makeT } from '../integration/trpc/support.js';

describe('attack 20: getKey returning an array', () => {
  for (const value of [[], ['k-arr']]) {
    it(`envelop (graphql-ws style): getKey -> ${JSON.stringify(value)} is refused`, async () => {
      let runs = 0;
      const schema = createSchema({
        typeDefs: `type Query { ok: Boolean! } type Mutation { pay(amount: Int!): Int! }`,
        resolvers: { Query: { ok: () => true }, Mutation: { pay: () => ++runs } },
      });
      const getEnveloped = envelop({
        plugins: [
          useEngine({ parse, validate, specifiedRules, execute, subscribe }),
          useSchema(schema),
          useIdempotency<{ user: string; connectionParams: { idempotencyKey: unknown } }>({
            store: createMemoryStore(),
            scope: (ctx) => ctx.user,
            getKey: (ctx) => ctx.connectionParams.idempotencyKey as never,
          }),
        ],
      });
      const run = async () => {
        const env = getEnveloped({ user: 'alice', connectionParams: { idempotencyKey: value } });
        const document = env.parse('mutation { pay(amount: 1) }');
        return (await env.execute({ schema: env.schema, document, contextValue: await env.contextFactory() })) as any;
      };
      const first = await run();
      await run();
      expect(first.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_INVALID');
      expect(runs).toBe(0);
    });
  }

  it('tRPC server-side caller: getKey -> [] is refused', async () => {
    const t = makeT();
    let runs = 0;
    const router = t.router({
      pay: t.procedure
        .use(
          idempotency({
            store: createMemoryStore(),
            scope: ({ ctx }) => ctx.user,
            getKey: ({ ctx }) => (ctx as any).connectionParams.idempotencyKey,
          }),
        )
        .input((raw: unknown) => raw as { amount: number })
        .mutation(() => ++runs),
    });
    const caller = t.createCallerFactory(router)({ user: 'alice', connectionParams: { idempotencyKey: [] } } as never);
    const outcomes = await Promise.allSettled([caller.pay({ amount: 1 }), caller.pay({ amount: 1 })]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(runs).toBe(0);
  });
});
