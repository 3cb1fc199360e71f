/**
 * A body that misuses the transaction `ctx.idempotency.tx()` gives it (ends it with its own COMMIT,
 * as an ORM's `transaction()` does on a client already in BEGIN; releases the client itself): the
 * key is never run again, and no caller is told "nothing committed" when something did.
 * Includes reproductions from the adversarial review of December 2026.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import type { RunContext } from '../../../src/index.js';
import { createPostgresStore } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

let database: TestDatabase;
const closers: (() => void)[] = [];

function engineOn() {
  const store = createPostgresStore({ pool: database.pool({ max: 10 }), cleanupInterval: 0 });
  closers.push(() => store.close());
  return createIdempotencyEngine({ store });
}

const rowsOf = (key: string) => database.count(`payments WHERE key = '${key}'`);
const insert = (client: pg.PoolClient, key: string) => client.query('INSERT INTO payments (key) VALUES ($1)', [key]);
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, code: undefined }),
    (error: { code?: string }) => ({ value: undefined, code: error.code }),
  );

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool({ max: 1 }).query('CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL)');
});
afterAll(async () => {
  closers.forEach((close) => close());
  await database.drop();
});

/** A request for `key` whose body writes through `tx()` as `write` does; `runs()` counts the body's runs. */
function paying<T>(key: string, write: (tx: pg.PoolClient) => Promise<T>) {
  let runs = 0;
  const run = async (context: RunContext) => {
    runs++;
    return write(await context.tx<pg.PoolClient>());
  };
  return { runs: () => runs, request: { scope: 'u', operation: 'pay', key, input: { amount: 1 }, run } };
}

describe('tx() ended or released by the body', () => {
  it('a body that COMMITs its own transaction: refused with IDEMPOTENCY_TRANSACTION_ENDED, and every repeat is refused, never run again (one row)', async () => {
    const engine = engineOn();
    const key = randomUUID();
    const { runs, request } = paying(key, async (tx) => {
      await tx.query('BEGIN'); // what an ORM's transaction() sends on a session already in BEGIN
      await insert(tx, key);
      await tx.query('COMMIT');
      return { paid: true };
    });
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_TRANSACTION_ENDED');
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_RESULT_NOT_STORED');
    expect(runs()).toBe(1);
    expect(await rowsOf(key)).toBe(1);
  });

  it('a body that releases the client itself: its writes and result commit, and the caller gets its value, then a replay', async () => {
    const engine = engineOn();
    const key = randomUUID();
    const { runs, request } = paying(key, async (tx) => {
      await insert(tx, key);
      tx.release();
      return 'ok';
    });
    const first = await settle(engine.execute(request));
    expect(first).toEqual({ value: { value: 'ok', replayed: false }, code: undefined });
    expect(await settle(engine.execute(request))).toEqual({ value: { value: 'ok', replayed: true }, code: undefined });
    expect(runs()).toBe(1);
    expect(await rowsOf(key)).toBe(1);
  });
});
