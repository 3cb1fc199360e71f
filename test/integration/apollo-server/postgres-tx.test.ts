/**
 * Apollo Server (idempotencyPlugin) with the PostgreSQL store, over HTTP: in a batch, an operation
 * that committed stores its own status, never a sibling's failed commit's. (The `tx()` scenarios every
 * GraphQL server shares are in graphql/postgres-tx.test.ts.)
 * Origin: an adversarial review of the PostgreSQL store.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlMajor } from '../../../src/graphql/index.js';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { post, startApollo, watchResponses, type Context } from '../../support/servers/apollo-server.js';

describe.skipIf(graphqlMajor !== 16)('Apollo Server: a batch one of whose operations failed to commit', () => {
  let database: TestDatabase;
  let store: PostgresStore;
  beforeAll(async () => {
    database = await createTestDatabase();
    const pool = database.pool({ max: 20 });
    await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text, amount int NOT NULL)');
    await pool.query('CREATE TABLE uniq (k text, CONSTRAINT u UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)');
    store = createPostgresStore({ pool, cleanupInterval: 0, timeout: 30_000 });
  });
  afterAll(async () => {
    store?.close();
    await database?.drop();
  });

  it('the committed sibling stores its own 200, not the failed commit’s 500: its replay answers 200', async () => {
    const watch = watchResponses();
    const insert = async (context: Context, amount: number) => {
      const tx = await context.idempotency!.tx<PoolClient>();
      await tx.query('INSERT INTO payments (key, amount) VALUES ($1, $2)', [context.idempotency!.key, amount]);
      return tx;
    };
    const server = await startApollo({
      typeDefs: /* GraphQL */ `
        type Query {
          ping: String
        }
        type Mutation {
          pay(amount: Int!, idempotencyKey: String): Int
          "Writes, then a row that violates a deferred unique constraint: the COMMIT fails."
          payDeferredFail(amount: Int!, idempotencyKey: String): Int
        }
      `,
      resolvers: {
        Mutation: {
          pay: async (_: unknown, { amount }: { amount: number }, context: Context) => {
            await insert(context, amount);
            await watch.answered('IDEMPOTENCY_COMMIT_FAILED'); // returns once its sibling’s refusal is on the shared head
            return amount;
          },
          payDeferredFail: async (_: unknown, { amount }: { amount: number }, context: Context) => {
            const tx = await insert(context, amount);
            await tx.query("INSERT INTO uniq VALUES ('x'), ('x')");
            return amount;
          },
        },
      },
      batching: true,
      idempotency: { store, scope: false },
      pluginsBefore: [watch.plugin],
    });
    try {
      const [paid, failed] = [randomUUID(), randomUUID()];
      const pay = { query: `mutation { pay(amount: 1, idempotencyKey: "${paid}") }` };
      const batch = await post(server.url, [
        pay,
        { query: `mutation { payDeferredFail(amount: 2, idempotencyKey: "${failed}") }` },
      ]);
      expect(batch.json).toMatchObject([
        { data: { pay: 1 } },
        { errors: [{ extensions: { code: 'IDEMPOTENCY_COMMIT_FAILED' } }] },
      ]);
      expect(batch.status).toBe(500); // the batch’s status: Apollo Server’s one head, the refusal’s
      expect(await database.count(`payments WHERE key = '${paid}'`)).toBe(1);
      expect(await database.count(`payments WHERE key = '${failed}'`)).toBe(0);
      const replay = await post(server.url, pay); // the client retries what it saw fail with the batch’s 500
      expect(replay.json).toMatchObject({ data: { pay: 1 }, extensions: { idempotency: { replayed: true } } });
      expect(replay.status).toBe(200);
      expect(await database.count(`payments WHERE key = '${paid}'`)).toBe(1);
    } finally {
      await server.close();
    }
  });
});
