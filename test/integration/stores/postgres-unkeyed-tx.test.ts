/**
 * Without a key, `tx()` is a plain transaction: committed when the body returns. A commit that did
 * not take effect (the session ended while the body awaited a slow call, the COMMIT lost on its
 * way) is answered with the retryable `IDEMPOTENCY_COMMIT_ABORTED` (503), never with the value of
 * writes that were discarded.
 * Origin: an adversarial review of the PostgreSQL store.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import type { IdempotencyEngine, RunContext } from '../../../src/index.js';
import { createPostgresStore, type PostgresStoreOptions } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';

let database: TestDatabase;
let proxy: PostgresProxy;
const closers: (() => void)[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool({ max: 1 }).query('CREATE TABLE payments (id serial PRIMARY KEY, tag text NOT NULL)');
  proxy = await startPostgresProxy({ host: '127.0.0.1', port: 5432 });
});
afterAll(async () => {
  closers.forEach((close) => close());
  await proxy?.close();
  await database?.drop();
});

const rowsOf = (tag: string) => database.count(`payments WHERE tag = '${tag}'`);

/** An engine on a store with `options`, its schema in place (what follows is the mutation's own transaction). */
async function engineOn(options: Omit<PostgresStoreOptions, 'cleanupInterval'>) {
  const store = createPostgresStore({ ...options, cleanupInterval: 0 });
  closers.push(() => store.close());
  await store.cleanup();
  return createIdempotencyEngine({ store });
}

/** Runs one unkeyed `pay` that inserts a row tagged `tag` (then waits `pause` ms) and returns 'paid'; its answer. */
function payUnkeyed(engine: IdempotencyEngine, tag: string, pause = 0) {
  return engine
    .execute({
      scope: 'u',
      operation: 'pay',
      key: undefined,
      input: {},
      run: async (context: RunContext) => {
        const tx = await context.tx<pg.PoolClient>();
        await tx.query('INSERT INTO payments (tag) VALUES ($1)', [tag]);
        if (pause) await new Promise((resolve) => setTimeout(resolve, pause)); // a slow external call
        return 'paid';
      },
    })
    .then(
      ({ value }) => ({ value }),
      (error: { code?: string; status?: number; retryable?: boolean }) => ({
        code: error.code,
        status: error.status,
        retryable: error.retryable,
      }),
    );
}

const ABORTED = { code: 'IDEMPOTENCY_COMMIT_ABORTED', status: 503, retryable: true };

describe('unkeyed tx(): a commit that did not take effect', () => {
  it('the session ended by idle_in_transaction_session_timeout while the body awaited a slow call: IDEMPOTENCY_COMMIT_ABORTED (503), not the value (0 rows)', async () => {
    const engine = await engineOn({ pool: database.pool({ max: 4 }), idleInTransactionTimeout: 300 });
    const answer = await payUnkeyed(engine, 'idle', 1_000);
    expect({ answer, rows: await rowsOf('idle') }).toEqual({ answer: ABORTED, rows: 0 });
  });

  it('the COMMIT never reached the server (connection lost): IDEMPOTENCY_COMMIT_ABORTED (503), not the value (0 rows)', async () => {
    const engine = await engineOn({ pool: database.pool({ max: 4, connectionString: proxy.url(database.name) }) });
    const lost = proxy.lose('drop-request', /COMMIT/);
    const answer = await payUnkeyed(engine, 'dropped');
    await lost;
    expect({ answer, rows: await rowsOf('dropped') }).toEqual({ answer: ABORTED, rows: 0 });
  });

  it('a commit that took effect answers the value (1 row)', async () => {
    const answer = await payUnkeyed(await engineOn({ pool: database.pool({ max: 4 }) }), 'committed');
    expect({ answer, rows: await rowsOf('committed') }).toEqual({ answer: { value: 'paid' }, rows: 1 });
  });
});
