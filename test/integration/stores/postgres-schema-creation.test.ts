/**
 * The store creates its schema on first use: a connection lost meanwhile fails that call with a
 * 503, never the process; stores on several tables of one new schema start at once; every table
 * gets an expiry index of its own, and a table a previous version created keeps working.
 * Origin: an adversarial review of the PostgreSQL store.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import { createPostgresStore, postgresStoreSchema, type PostgresStoreOptions } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';

let database: TestDatabase;
let proxy: PostgresProxy;
const closers: (() => void)[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await startPostgresProxy({ host: '127.0.0.1', port: 5432 });
});
afterAll(async () => {
  closers.forEach((close) => close());
  await proxy?.close();
  await database?.drop();
});

/** A store on `options` (no background cleanup), closed after the file. */
function storeOn(options: Omit<PostgresStoreOptions, 'cleanupInterval'>) {
  const store = createPostgresStore({ ...options, cleanupInterval: 0 });
  closers.push(() => store.close());
  return store;
}

/** One keyed call through an engine on `store`: its value, or its error's code. */
const payOnce = (store: ReturnType<typeof storeOn>) =>
  createIdempotencyEngine({ store })
    .execute({ scope: 'u', operation: 'pay', key: randomUUID(), input: {}, run: async () => 'ran' })
    .then(
      ({ value }) => value,
      (error: { code?: string }) => error.code ?? String(error),
    );

/** The indexes on the expiry column of the tables whose names start with `prefix`: table and index names. */
async function expiryIndexes(prefix: string) {
  const { rows } = await database.pool({ max: 1 }).query<{ tablename: string; indexname: string }>(
    `SELECT tablename, indexname FROM pg_indexes
       WHERE indexdef LIKE '%(expires_at)%' AND tablename LIKE $1 ORDER BY 1, 2`,
    [`${prefix}%`],
  );
  return rows;
}

describe('the schema created on first use', () => {
  it('a connection lost during the creation: the first call fails with IDEMPOTENCY_STORE_UNAVAILABLE (503), nothing escapes as an uncaught exception, the next call creates it', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const store = storeOn({
        pool: database.pool({ max: 4, connectionString: proxy.url(database.name) }),
        schema: 'lost_first_use',
      });
      const lost = proxy.lose('drop-request', /pg_advisory_xact_lock/);
      const first = await payOnce(store);
      await lost;
      await new Promise((resolve) => setTimeout(resolve, 100)); // an 'error' event would come about now
      expect({ first, uncaught: uncaught.map(String) }).toEqual({
        first: 'IDEMPOTENCY_STORE_UNAVAILABLE',
        uncaught: [],
      });
      expect(await payOnce(store)).toBe('ran');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('two stores on two tables of one new schema, first used at once (5 rounds): every first call runs (CREATE SCHEMA does not collide)', async () => {
    const answers: string[] = [];
    for (let round = 0; round < 5; round++) {
      const schema = `billing_${round}_${randomUUID().slice(0, 8)}`;
      const stores = ['payments_keys', 'refunds_keys'].map((table) =>
        storeOn({ pool: database.pool({ max: 2 }), schema, table }),
      );
      answers.push(...(await Promise.all(stores.map(payOnce))));
    }
    expect(answers).toEqual(Array.from({ length: 10 }, () => 'ran'));
  });

  it('two tables whose names share their first 48 characters each get an expiry index of their own', async () => {
    const prefix = 'a'.repeat(48);
    for (const table of [`${prefix}_x`, `${prefix}_y`])
      await storeOn({ pool: database.pool({ max: 1 }), table }).cleanup();
    expect(await expiryIndexes(prefix)).toEqual([
      { tablename: `${prefix}_x`, indexname: `${prefix}_x_expires_idx` },
      { tablename: `${prefix}_y`, indexname: `${prefix}_y_expires_idx` },
    ]);
  });

  it('a table the previous version created keeps working: up to 48 characters its index keeps its name; beyond, one is added beside the old one', async () => {
    const id = randomUUID().replaceAll('-', '').slice(0, 12);
    const tables = { short: `short_${id}`, long: `long_${id}_${'c'.repeat(33)}` }; // 18 and 51 characters
    const previous = (table: string) =>
      // The previous version named the index after the table's first 48 characters.
      postgresStoreSchema({ table }).replace(
        /"[a-z0-9_]+_expires(_at)?_idx"/,
        `"${table.slice(0, 48)}_expires_at_idx"`,
      );
    for (const table of Object.values(tables)) await database.pool({ max: 1 }).query(previous(table));
    for (const table of Object.values(tables))
      expect(await payOnce(storeOn({ pool: database.pool({ max: 1 }), table }))).toBe('ran');
    expect(await expiryIndexes(tables.short)).toEqual([
      { tablename: tables.short, indexname: `${tables.short}_expires_at_idx` },
    ]);
    expect(await expiryIndexes(tables.long)).toEqual([
      { tablename: tables.long, indexname: `${tables.long.slice(0, 48)}_expires_at_idx` },
      { tablename: tables.long, indexname: `${tables.long}_expires_idx` },
    ]);
  });
});
