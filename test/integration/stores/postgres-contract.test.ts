/**
 * The PostgreSQL store held to the contracts every store keeps: the store contract (transitions)
 * and the operator contract (readiness and inspection: ping, inspect, forget), on one test database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { freePort } from '../../support/free-port.js';
import { describeOperatorContract } from '../../support/operator-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { describeStoreContract } from '../../support/stores/store-contract.js';

let database: TestDatabase;
const stores: PostgresStore[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  stores.forEach((store) => store.close());
  await database?.drop();
});

/** A store on the file's database, closed after its tests. */
function store(...options: Parameters<typeof createPostgresStore>): PostgresStore {
  const created = createPostgresStore(...options);
  stores.push(created);
  return created;
}

describeStoreContract('postgres', () => store({ pool: database.pool({ max: 20 }) }));

describeOperatorContract('postgres', () => store({ pool: database.pool({ max: 4 }), cleanupInterval: 0 }));

describe('postgres store ping when PostgreSQL cannot be reached', () => {
  it('rejects on a closed port', async () => {
    const unreachable = store({
      pool: database.pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/test` }),
      cleanupInterval: 0,
      timeout: 500,
    });
    await expect(unreachable.ping()).rejects.toThrow();
  });
});
