import { afterAll, beforeAll } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { describeStoreContract } from '../../support/stores/store-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

let database: TestDatabase;
const stores: PostgresStore[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  stores.forEach((store) => store.close());
  await database.drop();
});

describeStoreContract('postgres', () => {
  const store = createPostgresStore({ pool: database.pool({ max: 20 }) });
  stores.push(store);
  return store;
});
