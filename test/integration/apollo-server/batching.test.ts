/**
 * Apollo Server batched HTTP requests (`allowBatchedHttpRequests`) carrying keyed mutations: two keys
 * (as arguments) in one batch each keep their own run context. A key header shared by a batch is
 * refused: see edges.test.ts. Suspected: the operations share one contextValue and overwrite each other's run context.
 * Held: Apollo Server 5 clones the context per operation, so each body sees its own key and gets its
 * own result; these tests keep it so.
 * Includes reproductions from the adversarial reviews of November and December 2026. A sibling's
 * refusal (409) is never stored with an operation that executed: origin, an adversarial review of
 * the PostgreSQL store (the same leak as its failed commit's 500, see postgres-tx.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { until } from '../../support/engine.js';
import { post, startApollo, watchResponses, type Context } from '../../support/servers/apollo-server.js';
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

/**
 * A batch server whose `pay` returns once a sibling's response carries the error code `payAfter`,
 * beside `hold` (runs until `open()`) and `refuse` (a coded 403 with an `x-limit` header).
 */
async function siblingsServer(payAfter: string) {
  const watch = watchResponses();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const runs = { pay: 0, hold: 0, refuse: 0 };
  const server = await startApollo({
    typeDefs: /* GraphQL */ `
      type Query {
        ping: String
      }
      type Mutation {
        pay(amount: Int!, idempotencyKey: String): Int!
        "Runs until the test opens its gate."
        hold(idempotencyKey: String): Boolean!
        "Throws a coded error with HTTP status 403 and an x-limit header."
        refuse(idempotencyKey: String): Boolean
      }
    `,
    resolvers: {
      Mutation: {
        pay: async (_: unknown, { amount }: { amount: number }) => {
          runs.pay++;
          await watch.answered(payAfter); // returns once its sibling's answer is on the shared head
          return amount;
        },
        hold: async () => {
          runs.hold++;
          await gate;
          return true;
        },
        refuse: () => {
          runs.refuse++;
          // Apollo Server's form of `extensions.http`: its headers are a HeaderMap.
          const extensions: Record<string, unknown> = {
            code: 'FORBIDDEN',
            http: { status: 403, headers: new HeaderMap([['x-limit', '10']]) },
          };
          throw new GraphQLError('Limit exceeded.', { extensions });
        },
      },
    },
    batching: true,
    idempotency: { store: redisStore(`apollo-batch-${payAfter}`) },
    pluginsBefore: [watch.plugin],
  });
  onClose(async () => {
    open();
    await server.close();
  });
  return { url: server.url, runs, open };
}

const alice = { 'x-user': 'alice' };
const mutation = (field: string, key: string) => ({ query: `mutation { ${field}(idempotencyKey: "${key}") }` });

describe.skipIf(graphqlMajor !== 16)(
  'Apollo Server batch: an operation beside a sibling answered with another status',
  () => {
    it('a sibling refused with 409 (its key still running): the executed operation stores its own 200, without the Retry-After; its replay in a later batch leaves the refusal’s 409 the batch’s', async () => {
      const { url, runs, open } = await siblingsServer('IDEMPOTENCY_CONCURRENT_REQUEST');
      const pay = { query: `mutation { pay(amount: 5, idempotencyKey: "${randomUUID()}") }` };
      const hold = mutation('hold', randomUUID());
      const holder = post(url, hold, alice);
      await until(() => runs.hold === 1);
      const batch = await post(url, [pay, hold], alice);
      expect(batch.json).toMatchObject([
        { data: { pay: 5 } },
        { errors: [{ extensions: { code: 'IDEMPOTENCY_CONCURRENT_REQUEST' } }] },
      ]);
      expect(batch.status).toBe(409); // the batch's status and Retry-After: Apollo Server's one head, the refusal's
      expect(batch.headers.get('retry-after')).not.toBeNull();

      const replay = await post(url, pay, alice);
      expect(replay.json).toMatchObject({ data: { pay: 5 }, extensions: { idempotency: { replayed: true } } });
      expect(replay.status).toBe(200);
      expect(replay.headers.get('retry-after')).toBeNull();

      const again = await post(url, [hold, pay], alice);
      expect(again.json).toMatchObject([
        { errors: [{ extensions: { code: 'IDEMPOTENCY_CONCURRENT_REQUEST' } }] },
        { data: { pay: 5 }, extensions: { idempotency: { replayed: true } } },
      ]);
      expect(again.status).toBe(409);
      open();
      await holder;
      expect(runs).toEqual({ pay: 1, hold: 1, refuse: 0 });
    });

    it('a sibling whose error set 403 and a header: each operation stores its own status and headers, and each replay answers them', async () => {
      const { url, runs } = await siblingsServer('FORBIDDEN');
      const pay = { query: `mutation { pay(amount: 5, idempotencyKey: "${randomUUID()}") }` };
      const refuse = mutation('refuse', randomUUID());
      const batch = await post(url, [pay, refuse], alice);
      expect(batch.json).toMatchObject([{ data: { pay: 5 } }, { errors: [{ extensions: { code: 'FORBIDDEN' } }] }]);
      expect([batch.status, batch.headers.get('x-limit')]).toEqual([403, '10']);

      const paid = await post(url, pay, alice);
      expect(paid.json).toMatchObject({ data: { pay: 5 }, extensions: { idempotency: { replayed: true } } });
      expect([paid.status, paid.headers.get('x-limit')]).toEqual([200, null]);

      const refused = await post(url, refuse, alice);
      expect(refused.json).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
      expect(refused.headers.get('idempotent-replayed')).toBe('true');
      expect([refused.status, refused.headers.get('x-limit')]).toEqual([403, '10']);
      expect(runs).toEqual({ pay: 1, hold: 0, refuse: 1 });
    });
  },
);
