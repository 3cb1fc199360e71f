import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { beginRequest, describeStoreContract } from '../../support/stores/store-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPgBouncer, type PgBouncer } from '../../support/pgbouncer.js';

// The PostgreSQL store behind PgBouncer in transaction mode, with 2 server connections shared by
// every client: nothing may rely on session state (named prepared statements, session SET, locks).
const HOUR = 3_600_000;
let database: TestDatabase;
let bouncer: PgBouncer;
const stores: PostgresStore[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  bouncer = await startPgBouncer({ host: '127.0.0.1', port: 5432 }, { poolMode: 'transaction', poolSize: 2 });
  await database
    .pool({ max: 1 })
    .query('CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL, attempt text NOT NULL)');
});
afterAll(async () => {
  stores.forEach((store) => store.close());
  await bouncer?.stop();
  await database?.drop();
});

function bounced(options: { statementTimeout?: number } = {}): PostgresStore {
  const store = createPostgresStore({
    pool: database.pool({ connectionString: bouncer.url(database.name), max: 20 }),
    ...options,
  });
  stores.push(store);
  return store;
}

describeStoreContract('postgres behind PgBouncer (transaction mode)', () => bounced());

describe('postgres store behind PgBouncer (transaction mode)', () => {
  it('commits writes with the result, fences a stale owner out, and leaks no SET LOCAL into other clients’ transactions', async () => {
    const store = bounced({ statementTimeout: 250 });
    const [id, stale, taker] = [randomUUID(), randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, stale, { leaseMs: 100 }));
    const staleTx = await store.openTransaction({ id, owner: stale });
    await staleTx.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, stale]);
    await sleep(200);
    await expect(store.begin(beginRequest(id, taker))).resolves.toEqual({
      status: 'acquired',
      fence: 2,
      takeover: true,
    });
    const takerTx = await store.openTransaction({ id, owner: taker });
    await takerTx.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, taker]);
    await expect(takerTx.client.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    await takerTx.rollback();
    const retry = await store.openTransaction({ id, owner: taker });
    await retry.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, taker]);
    await expect(retry.commit('"taker"', HOUR)).resolves.toBe(true);
    await expect(staleTx.commit('"stale"', HOUR)).resolves.toBe(false);
    expect(await database.count(`payments WHERE key = '${id}'`)).toBe(1);
    expect(await database.count(`payments WHERE attempt = '${taker}'`)).toBe(1);
    const plain = database.pool({ connectionString: bouncer.url(database.name), max: 4 });
    const settings = await Promise.all(
      Array.from({ length: 4 }, () => plain.query<{ statement_timeout: string }>('SHOW statement_timeout')),
    );
    expect(settings.map((reply) => reply.rows[0]!.statement_timeout)).toEqual(['0', '0', '0', '0']);
  });
});
