/**
 * Yoga (useIdempotency, the Yoga harness in-process) with the PostgreSQL store, where another
 * plugin's executor hides the root value from the root-field tracker: several root fields' writes
 * commit together or not at all. (The `tx()` scenarios every GraphQL server shares are in
 * graphql/postgres-tx.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { paymentResolvers, paymentTypeDefs, type Answer } from '../../support/graphql-tx-scenarios.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { createTestYoga } from '../../support/servers/yoga.js';

describe('Yoga: several root fields run where the tracker cannot see (another executor hides the root value)', () => {
  let database: TestDatabase;
  let store: PostgresStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the harness's Yoga, whatever its contexts
  let yoga: YogaServerInstance<any, any>;
  beforeAll(async () => {
    database = await createTestDatabase();
    const pool = database.pool({ max: 10 });
    await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text, amount int NOT NULL)');
    store = createPostgresStore({ pool, cleanupInterval: 0, timeout: 30_000 });
    const hideRootValue: Plugin = {
      onExecute({ setExecuteFn, executeFn }) {
        setExecuteFn((args) => executeFn({ ...args, rootValue: {} }));
      },
    };
    yoga = createTestYoga({
      typeDefs: paymentTypeDefs,
      resolvers: paymentResolvers({ failNext: 0 }),
      plugins: [hideRootValue],
      idempotency: { store, scope: false },
    });
  });
  afterAll(async () => {
    await yoga?.dispose();
    store?.close();
    await database?.drop();
  });
  const send = async (query: string, key: string) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as Answer['body'];
  };
  const paid = (key: string, amount: number) => database.count(`payments WHERE key = '${key}' AND amount = ${amount}`);

  it('one of them threw after writing: their writes cannot be told apart, so none commit; IDEMPOTENCY_COMMIT_FAILED, the key freed', async () => {
    const key = randomUUID();
    const query = 'mutation { a: pay(amount: 151) { id } b: payThenThrow(amount: 152) { id } }';
    for (let run = 0; run < 2; run++) {
      const answer = await send(query, key);
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['IDEMPOTENCY_COMMIT_FAILED']);
    }
    expect([await paid(key, 151), await paid(key, 152)]).toEqual([0, 0]);
  });

  it('every one returned: they commit with the result, once', async () => {
    const key = randomUUID();
    const query = 'mutation { a: pay(amount: 161) { id } b: pay(amount: 162) { id } }';
    const first = await send(query, key);
    expect(first.errors).toBeUndefined();
    expect((await send(query, key)).data).toEqual(first.data);
    expect([await paid(key, 161), await paid(key, 162)]).toEqual([1, 1]);
  });
});
