/**
 * An error that ends the session during the COMMIT of `tx()` (FATAL 57P01 from `pg_terminate_backend`,
 * and the like) carries a SQLSTATE, yet says nothing about whether the COMMIT took effect: it is
 * resolved like a lost connection (`txid_status` and the record), never answered as "nothing
 * committed" with the key freed. Reproductions from the adversarial review of December 2026.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import type { IdempotencyEngine, RunContext } from '../../../src/index.js';
import { isServerRefusal } from '../../../src/stores/postgres-deadline.js';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

/** The advisory lock a deferred trigger waits for at COMMIT while the test holds it. */
const COMMIT_GATE = 4242;

let database: TestDatabase;
let proxy: PostgresProxy;
const stores: PostgresStore[] = [];

/** An engine on a store whose limits leave the waiting COMMIT alone (generous: a busy machine). */
function engineOn(connectionString = database.url): IdempotencyEngine {
  const store = createPostgresStore({
    pool: database.pool({ connectionString, max: 4 }),
    cleanupInterval: 0,
    timeout: 30_000,
    statementTimeout: 60_000,
    lockTimeout: 60_000,
  });
  stores.push(store);
  return createIdempotencyEngine({ store });
}

const rowsOf = (key: string) => database.count(`payments WHERE key = '${key}'`);
const outcomeOf = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, code: undefined as string | undefined, status: undefined as number | undefined }),
    (error: { code?: string; status?: number }) => ({ value: undefined, code: error.code, status: error.status }),
  );

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await startPostgresProxy({ host: '127.0.0.1', port: 5432 });
  const pool = database.pool({ max: 1 });
  await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL)');
  // Each row's deferred trigger runs during COMMIT; it waits there while the test holds the gate.
  await pool.query(`
    CREATE FUNCTION wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock(${COMMIT_GATE});
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER wait_at_commit AFTER INSERT ON payments
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_at_commit();
  `);
});
afterAll(async () => {
  stores.forEach((store) => store.close());
  await proxy?.close();
  await database?.drop();
});

describe('an error that ends the session during COMMIT', () => {
  it('is not a refusal: FATAL and PANIC, class 08 and 57P01–57P05, 25P03 end the session; an ERROR does not', () => {
    const serverError = (severity: string, code: string) => Object.assign(new Error('x'), { severity, code });
    expect(isServerRefusal(serverError('ERROR', '23505'))).toBe(true);
    expect(isServerRefusal(serverError('ERROR', '40001'))).toBe(true);
    for (const code of ['57P01', '57P02', '57P03', '57P04', '57P05', '08006', '08003', '25P03'])
      expect(isServerRefusal(serverError('FATAL', code)), code).toBe(false);
    expect(isServerRefusal(serverError('FATAL', 'XX000'))).toBe(false);
    expect(isServerRefusal(serverError('PANIC', 'XX000'))).toBe(false);
    expect(isServerRefusal(serverError('FEHLER', '57P01'))).toBe(false); // a localized severity: the code decides
    expect(isServerRefusal(new Error('Connection terminated unexpectedly'))).toBe(false);
  });

  it('pg_terminate_backend while COMMIT runs a deferred trigger: the commit aborted, so the caller gets the retryable IDEMPOTENCY_LEASE_LOST (503), no row, and the retry writes one', async () => {
    const engine = engineOn();
    const key = randomUUID();
    const gate = new pg.Client({ connectionString: database.url });
    await gate.connect();
    await gate.query('SELECT pg_advisory_lock($1)', [COMMIT_GATE]);
    let backend!: number;
    let runs = 0;
    const request = {
      scope: 'u',
      operation: 'pay',
      key,
      input: {},
      run: async (context: RunContext) => {
        runs++;
        const tx = await context.tx<pg.PoolClient>();
        await tx.query('INSERT INTO payments (key) VALUES ($1)', [key]);
        backend = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        return 'paid';
      },
    };
    try {
      const first = outcomeOf(engine.execute(request));
      // Poll until the COMMIT waits in the deferred trigger, then end its session from here.
      for (;;) {
        const { rows } = await gate.query<{ waiting: boolean }>(
          `SELECT count(*) > 0 AS waiting FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
          [backend ?? 0],
        );
        if (rows[0]!.waiting) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await gate.query('SELECT pg_terminate_backend($1)', [backend]);
      expect(await first).toEqual({ value: undefined, code: 'IDEMPOTENCY_LEASE_LOST', status: 503 });
      expect(await rowsOf(key)).toBe(0);
    } finally {
      await gate.end();
    }
    expect(await engine.execute(request)).toEqual({ value: 'paid', replayed: false });
    expect(await engine.execute(request)).toEqual({ value: 'paid', replayed: true });
    expect(runs).toBe(2);
    expect(await rowsOf(key)).toBe(1);
  });

  it.each([
    ['keyed', true],
    ['unkeyed', false],
  ])(
    '%s: a FATAL 57P01 in place of the reply to a COMMIT that took effect: the caller gets the value, never IDEMPOTENCY_COMMIT_FAILED; one row',
    async (_, keyed) => {
      const engine = engineOn(proxy.url(database.name));
      const key = randomUUID();
      let runs = 0;
      const request = {
        scope: 'u',
        operation: 'pay',
        key: keyed ? key : undefined,
        input: {},
        run: async (context: RunContext) => {
          runs++;
          const tx = await context.tx<pg.PoolClient>();
          await tx.query('INSERT INTO payments (key) VALUES ($1)', [key]);
          return 'paid';
        },
      };
      // Warm up: the store creates its schema (a query that ends with COMMIT too) before the fault is armed.
      await engine.execute({ ...request, key: randomUUID(), run: async () => 'warm' });
      const fired = proxy.lose('fatal-reply', /COMMIT$/);
      expect(await outcomeOf(engine.execute(request))).toEqual({
        value: { value: 'paid', replayed: false },
        code: undefined,
        status: undefined,
      });
      await fired;
      expect(await rowsOf(key)).toBe(1);
      if (keyed) expect(await engine.execute(request)).toEqual({ value: 'paid', replayed: true });
      expect(runs).toBe(1);
      expect(await rowsOf(key)).toBe(1);
    },
  );
});
