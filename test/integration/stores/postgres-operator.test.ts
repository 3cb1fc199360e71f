// Readiness and inspection for operators: ping, inspect and forget on the PostgreSQL store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { freePort } from '../../support/free-port.js';
import { describeOperatorContract } from '../../support/operator-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

let database: TestDatabase;
const stores: PostgresStore[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  stores.forEach((store) => store.close());
  await database?.drop();
});

describeOperatorContract('postgres', () => {
  const store = createPostgresStore({ pool: database.pool({ max: 4 }), cleanupInterval: 0 });
  stores.push(store);
  return store;
});

describe('postgres store ping when PostgreSQL cannot be reached', () => {
  it('rejects on a closed port', async () => {
    const store = createPostgresStore({
      pool: database.pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/test` }),
      cleanupInterval: 0,
      timeout: 500,
    });
    stores.push(store);
    await expect(store.ping()).rejects.toThrow();
  });
});
