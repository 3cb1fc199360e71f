// Origin: an adversarial review of the store clients and the CLI.
// ioredis' own `keyPrefix` option separates two stores on one Redis exactly as the store's
// `prefix` does (the scripts' KEYS get it). The store's namespace, which `derive(name)` includes so
// that two stores kept apart by prefix hand a provider different derived keys (docs/semantics.md,
// "Record identity"), must see it too, or a GraphQL field and a tRPC path of the same name, kept apart
// by keyPrefix, run as two records yet hand the payment provider the same derived key. Likewise two
// PostgreSQL stores kept apart by `table` (or `schema`).
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine, type IdempotencyStore } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { connectRedis } from '../../support/redis/client.js';

async function run(store: IdempotencyStore, key: string) {
  const engine = createIdempotencyEngine({ store });
  let derived = '';
  const { replayed } = await engine.execute({
    scope: 'alice',
    operation: 'createCharge',
    key,
    input: {},
    run: async (context) => (derived = context.derive('stripe-charge')),
  });
  return { replayed, derived };
}

describe('a client with ioredis keyPrefix', () => {
  it('keeps its records and derived keys apart like a store prefix', async () => {
    const tag = randomUUID().slice(0, 8);
    const graphqlStore = createRedisStore({ redis: connectRedis({ keyPrefix: `gql-${tag}:` }) });
    const trpcStore = createRedisStore({ redis: connectRedis({ keyPrefix: `trpc-${tag}:` }) });
    expect(graphqlStore.namespace).toBe(`gql-${tag}:idem:`);
    const key = randomUUID();
    const graphql = await run(graphqlStore, key);
    const trpc = await run(trpcStore, key);
    expect(trpc.replayed).toBe(false); // two records, as with two store prefixes
    expect(trpc.derived).not.toBe(graphql.derived); // …so two derived keys, as with two store prefixes
  });
});

describe('two PostgreSQL stores kept apart by table', () => {
  let database: TestDatabase | undefined;
  const stores: PostgresStore[] = [];
  afterAll(async () => {
    stores.forEach((store) => store.close());
    await database?.drop();
  });

  it('keep their records and their derived keys apart', async () => {
    database = await createTestDatabase();
    const graphqlStore = createPostgresStore({
      pool: database.pool({ max: 2 }),
      table: 'graphql_keys',
      cleanupInterval: 0,
    });
    const trpcStore = createPostgresStore({ pool: database.pool({ max: 2 }), table: 'trpc_keys', cleanupInterval: 0 });
    stores.push(graphqlStore, trpcStore);
    const key = randomUUID();
    const graphql = await run(graphqlStore, key);
    const trpc = await run(trpcStore, key);
    expect(trpc.replayed).toBe(false);
    expect(trpc.derived).not.toBe(graphql.derived);
  });
});
