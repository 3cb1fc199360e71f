/**
 * Yoga (useIdempotency) with the PostgreSQL store: writes through `context.idempotency.tx()` commit
 * with the stored result, once (issue #19).
 */
import { randomUUID } from 'node:crypto';
import type { Plugin } from '@envelop/core';
import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useIdempotency } from '../../../src/envelop/index.js';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { paymentResolvers, paymentTypeDefs, txScenarios, type Answer } from '../../support/graphql-tx-scenarios.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

describe('Yoga: ctx.idempotency.tx() on PostgreSQL', () => {
  txScenarios(async (options, control) => {
    const yoga = createYoga({
      schema: createSchema({ typeDefs: paymentTypeDefs, resolvers: paymentResolvers(control) }),
      plugins: [useIdempotency({ ...options, scope: false })],
      logging: false,
    });
    return {
      async send(query, key) {
        const response = await yoga.fetch('http://yoga/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
          body: JSON.stringify({ query }),
        });
        return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
      },
      close: () => yoga.dispose() as Promise<void>,
    };
  });
});

describe('Yoga: several root fields run where the tracker cannot see (another executor hides the root value)', () => {
  let database: TestDatabase;
  let store: PostgresStore;
  let yoga: YogaServerInstance<object, object>;
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
    yoga = createYoga({
      schema: createSchema({ typeDefs: paymentTypeDefs, resolvers: paymentResolvers({ failNext: 0 }) }),
      plugins: [hideRootValue, useIdempotency({ store, scope: false })],
      logging: false,
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
