import { graphqlMajor } from '../../../src/graphql/index.js';
/**
 * Apollo Server batched HTTP requests (`allowBatchedHttpRequests`) carrying keyed mutations: two keys
 * (as arguments) in one batch each keep their own run context. A key header shared by a batch is
 * refused: see edges.test.ts. Suspected: the operations share one contextValue and overwrite each other's run context.
 * Held: Apollo Server 5 clones the context per operation, so each body sees its own key and gets its
 * own result; these tests keep it so.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { post, startApollo, type Context } from '../../support/servers/apollo-server.js';
import { onClose, redisStore } from '../../support/servers/yoga.js';

describe.skipIf(graphqlMajor !== 16)(
  'Apollo Server batch: two keyed mutations in one HTTP batch (shared contextValue)',
  () => {
    it('each body sees its own run context (key, derive) — never the other mutation’s, so a provider keyed by derive() cannot hand one charge the other’s result', async () => {
      const seen: { amount: number; key: string | undefined; derived: string }[] = [];
      const providerCharges = new Map<string, number>(); // a provider that deduplicates by idempotency key (as Stripe does)
      const server = await startApollo({
        typeDefs: /* GraphQL */ `
          type Query {
            ping: String
          }
          type Mutation {
            pay(amount: Int!, idempotencyKey: String): Int!
          }
        `,
        resolvers: {
          Mutation: {
            pay: async (_: unknown, { amount }: { amount: number }, ctx: Context) => {
              await sleep(20); // the body does some I/O before charging
              const derived = ctx.idempotency!.derive('charge');
              seen.push({ amount, key: ctx.idempotency!.key, derived });
              if (!providerCharges.has(derived)) providerCharges.set(derived, amount);
              return providerCharges.get(derived)!; // the amount actually charged
            },
          },
        },
        batching: true,
        idempotency: { store: redisStore('r4-apollo-batch') },
      });
      onClose(() => server.close());
      const response = await post(
        server.url,
        [
          { query: 'mutation { pay(amount: 5, idempotencyKey: "k-a") }' },
          { query: 'mutation { pay(amount: 5000, idempotencyKey: "k-b") }' },
        ],
        { 'x-user': 'alice' },
      );
      const bodies = response.json as unknown as { data?: { pay: number }; errors?: unknown[] }[];
      // Promise: either each operation is answered with its own charge, or the batch is refused; never
      // one payment answered with (or run under the key of) the other.
      const byAmount = Object.fromEntries(seen.map((s) => [s.amount, s.key]));
      if (seen.length === 2) expect(byAmount).toEqual({ 5: 'k-a', 5000: 'k-b' });
      for (const [i, amount] of [5, 5000].entries()) {
        if (bodies[i]?.data) expect(bodies[i]!.data!.pay).toBe(amount);
      }
    });
  },
);
