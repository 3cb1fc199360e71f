import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresStore,
  PostgresTimeoutError,
  TRANSACTION_ENDED_SQLSTATE,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../../src/stores/postgres.js';
import { beginRequest } from '../../support/stores/store-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';

const HOUR = 3_600_000;
let database: TestDatabase;
const stores: PostgresStore[] = [];

/** A store on the test database (its own pool), closed after the file. */
function makeStore(options: Partial<PostgresStoreOptions> = {}, poolConfig: pg.PoolConfig = {}): PostgresStore {
  const store = createPostgresStore({
    pool: database.pool({ max: 10, ...poolConfig }),
    cleanupInterval: 0, // cleanup runs where a test asks for it
    ...options,
  });
  stores.push(store);
  return store;
}

/** Rows of `payments` written by `attempt`. */
async function paymentsOf(attempt: string): Promise<number> {
  const pool = database.pool({ max: 1 });
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM payments WHERE attempt = $1', [attempt]);
  await pool.end();
  return Number(rows[0]!.n);
}

const insertPayment = (client: pg.PoolClient, key: string, attempt: string) =>
  client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [key, attempt]);

beforeAll(async () => {
  database = await createTestDatabase();
  const pool = database.pool({ max: 1 });
  await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL, attempt text NOT NULL)');
  await pool.query('CREATE TABLE locked (id int PRIMARY KEY)');
  await pool.query('INSERT INTO locked VALUES (1)');
});
afterAll(async () => {
  stores.forEach((store) => store.close());
  await database.drop();
});

const countOf = (key: string) => database.count(`payments WHERE key = '${key}'`);

describe('postgres store: the completion commits inside the mutation’s transaction', () => {
  it('commits the writes and the result together; a repeat replays it and writes nothing', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await expect(store.begin(beginRequest(id, owner))).resolves.toEqual({
      status: 'acquired',
      fence: 1,
      takeover: false,
    });
    const tx = await store.openTransaction({ id, owner });
    await insertPayment(tx.client, id, owner);
    const result = JSON.stringify({ paid: 1, note: "O'Brien \\ paid; COMMIT" }); // quotes and backslashes reach SQL as literals
    await expect(tx.commit(result, HOUR)).resolves.toBe(true);
    expect(await countOf(id)).toBe(1);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({ status: 'completed', result });
    expect(await countOf(id)).toBe(1);
  });

  it('a stale owner’s commit after a takeover rolls its writes back and resolves false; the taker’s commit', async () => {
    const store = makeStore();
    const [id, stale, taker] = [randomUUID(), randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, stale, { leaseMs: 100 }));
    const staleTx = await store.openTransaction({ id, owner: stale });
    await insertPayment(staleTx.client, id, stale);
    await sleep(200); // the stale owner's lease lapses
    await expect(store.begin(beginRequest(id, taker))).resolves.toEqual({
      status: 'acquired',
      fence: 2,
      takeover: true,
    });
    const takerTx = await store.openTransaction({ id, owner: taker });
    await insertPayment(takerTx.client, id, taker);
    await expect(takerTx.commit('"taker"', HOUR)).resolves.toBe(true);
    await expect(staleTx.commit('"stale"', HOUR)).resolves.toBe(false);
    expect(await paymentsOf(stale)).toBe(0);
    expect(await paymentsOf(taker)).toBe(1);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
      status: 'completed',
      result: '"taker"',
    });
  });

  it('a stale owner that commits before the taker finishes still loses: its writes roll back, the taker commits', async () => {
    const store = makeStore();
    const [id, stale, taker] = [randomUUID(), randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, stale, { leaseMs: 100 }));
    const staleTx = await store.openTransaction({ id, owner: stale });
    await insertPayment(staleTx.client, id, stale);
    await sleep(200);
    await store.begin(beginRequest(id, taker));
    await expect(staleTx.commit('"stale"', HOUR)).resolves.toBe(false);
    const takerTx = await store.openTransaction({ id, owner: taker });
    await insertPayment(takerTx.client, id, taker);
    await expect(takerTx.commit('"taker"', HOUR)).resolves.toBe(true);
    expect(await countOf(id)).toBe(1);
    expect(await paymentsOf(taker)).toBe(1);
  });

  it('answers a replay and a conflict with a plain read: neither waits for a transaction that holds the record row locked', async () => {
    const store = makeStore({ timeout: 1_000 });
    const [done, running] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(done, 'o'));
    await store.complete({ id: done, owner: 'o', result: 'r', ttlMs: HOUR });
    await store.begin(beginRequest(running, 'o'));
    const locker = await database.pool({ max: 1 }).connect();
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM idempotency_records WHERE id IN ($1, $2) FOR UPDATE', [done, running]);
    try {
      // A begin that locked or wrote the row would wait for the locker, past the store timeout.
      await expect(store.begin(beginRequest(done, randomUUID()))).resolves.toEqual({
        status: 'completed',
        result: 'r',
      });
      await expect(store.begin(beginRequest(running, randomUUID()))).resolves.toMatchObject({ status: 'running' });
      await expect(store.begin(beginRequest(done, randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
        status: 'mismatch',
      });
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
  });

  it('40 concurrent duplicate begins on one id over 40 connections: exactly one acquires, one row is written', async () => {
    const store = makeStore({}, { max: 40 });
    const id = randomUUID();
    const owners = Array.from({ length: 40 }, () => randomUUID());
    const outcomes = await Promise.all(
      owners.map(async (owner) => {
        const outcome = await store.begin(beginRequest(id, owner));
        if (outcome.status === 'acquired') {
          const tx = await store.openTransaction({ id, owner });
          await insertPayment(tx.client, id, owner);
          await tx.commit('"once"', HOUR);
        }
        return outcome;
      }),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'acquired')).toHaveLength(1);
    // The others saw it running, or (after its commit) completed.
    const others = outcomes.filter((outcome) => outcome.status !== 'acquired');
    expect(others.every((o) => o.status === 'running' || (o.status === 'completed' && o.result === '"once"'))).toBe(
      true,
    );
    expect(await countOf(id)).toBe(1);
  });

  it('release rolls the writes back and frees the record for the next attempt', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner });
    await insertPayment(tx.client, id, owner);
    await expect(tx.release()).resolves.toBe(true);
    expect(await countOf(id)).toBe(0);
    await expect(store.begin(beginRequest(id, randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
      status: 'acquired',
      fence: 2,
      takeover: false,
    });
  });

  it('rollback rolls the writes back and leaves the record running for its owner, who may store an error result', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner });
    await insertPayment(tx.client, id, owner);
    await tx.rollback();
    expect(await countOf(id)).toBe(0);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'running' });
    await expect(store.complete({ id, owner, result: '"declined"', ttlMs: HOUR })).resolves.toBe(true);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
      status: 'completed',
      result: '"declined"',
    });
  });

  it('keeps the takeover flag through a taker that released, until an attempt completes', async () => {
    const store = makeStore();
    const id = randomUUID();
    await store.begin(beginRequest(id, 'crashed', { leaseMs: 50 }));
    await sleep(120);
    const taker = randomUUID();
    await expect(store.begin(beginRequest(id, taker))).resolves.toEqual({
      status: 'acquired',
      fence: 2,
      takeover: true,
    });
    const tx = await store.openTransaction({ id, owner: taker });
    await expect(tx.release()).resolves.toBe(true);
    const next = randomUUID();
    await expect(store.begin(beginRequest(id, next))).resolves.toEqual({
      status: 'acquired',
      fence: 3,
      takeover: true,
    });
    await expect(store.complete({ id, owner: next, result: 'r', ttlMs: HOUR })).resolves.toBe(true);
    const { rows } = await database
      .pool({ max: 1 })
      .query('SELECT takeover FROM idempotency_records WHERE id = $1', [id]);
    expect(rows).toEqual([{ takeover: false }]);
  });

  it('refuses to store a result when the body ended the transaction itself; the record stays its owner’s', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner });
    await tx.client.query('COMMIT');
    await expect(tx.commit('"r"', HOUR)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_TRANSACTION_ENDED',
      cause: expect.objectContaining({ code: TRANSACTION_ENDED_SQLSTATE }),
    });
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'running' });
    await expect(store.release({ id, owner })).resolves.toBe(true);
  });

  it('runs an unkeyed call in a plain transaction: commit keeps the writes, release and rollback drop them', async () => {
    const store = makeStore();
    const key = randomUUID();
    const committed = await store.openTransaction();
    await insertPayment(committed.client, key, 'plain');
    await expect(committed.commit('', 1)).resolves.toBe(true);
    for (const end of ['release', 'rollback'] as const) {
      const tx = await store.openTransaction();
      await insertPayment(tx.client, key, end);
      await tx[end]();
    }
    expect(await countOf(key)).toBe(1);
  });

  it('returns every connection to its pool, whatever ends the transaction', async () => {
    const pool = database.pool({ max: 2 });
    const store = createPostgresStore({ pool, cleanupInterval: 0 });
    for (let round = 0; round < 3; round++) {
      const [id, owner] = [randomUUID(), randomUUID()];
      await store.begin(beginRequest(id, owner));
      await (await store.openTransaction({ id, owner })).commit('r', HOUR);
      await (await store.openTransaction({ id, owner: 'lost' })).commit('r', HOUR);
      await (await store.openTransaction()).rollback();
      await (await store.openTransaction()).release();
    }
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });
});

describe('postgres store: per-transaction timeouts', () => {
  it('statement_timeout ends a slow statement of the body (57014)', async () => {
    const store = makeStore({ statementTimeout: 200 });
    const tx = await store.openTransaction();
    await expect(tx.client.query('SELECT pg_sleep(30)')).rejects.toMatchObject({ code: '57014' });
    await tx.rollback();
  });

  it('lock_timeout ends a wait for a row another transaction holds (55P03)', async () => {
    const store = makeStore({ lockTimeout: 200 });
    const holder = await store.openTransaction();
    await holder.client.query('SELECT * FROM locked WHERE id = 1 FOR UPDATE');
    const waiter = await store.openTransaction();
    await expect(waiter.client.query('UPDATE locked SET id = 1 WHERE id = 1')).rejects.toMatchObject({ code: '55P03' });
    await waiter.rollback();
    await holder.rollback();
  });

  it('idle_in_transaction_session_timeout ends a holder idle inside its transaction: its writes are gone, its commit resolves false and frees the record', async () => {
    const store = makeStore({ idleInTransactionTimeout: 200 });
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner });
    await insertPayment(tx.client, id, owner);
    const pid = (tx.client as unknown as { processID: number }).processID;
    const watcher = database.pool({ max: 1 });
    while ((await watcher.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount) await sleep(50);
    await expect(tx.commit('"r"', HOUR)).resolves.toBe(false);
    expect(await countOf(id)).toBe(0);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'acquired', fence: 2 });
  });
});

describe('postgres store: cleanup and ping', () => {
  it('deletes expired records in batches, skipping a row locked by a completion in flight', async () => {
    const store = makeStore({ table: 'reaped' });
    const ids = Array.from({ length: 7 }, () => randomUUID());
    for (const id of ids) {
      await store.begin(beginRequest(id, 'o'));
      await store.complete({ id, owner: 'o', result: 'r', ttlMs: 50 });
    }
    const live = randomUUID();
    await store.begin(beginRequest(live, 'o'));
    await sleep(120);
    const locker = database.pool({ max: 1 });
    const lockHolder = await locker.connect();
    await lockHolder.query('BEGIN');
    await lockHolder.query('SELECT * FROM reaped WHERE id = $1 FOR UPDATE', [ids[0]]);
    await expect(store.cleanup({ batchSize: 2 })).resolves.toBe(6);
    await lockHolder.query('ROLLBACK');
    lockHolder.release();
    expect(await database.count('reaped')).toBe(2);
    await expect(store.cleanup({ batchSize: 2 })).resolves.toBe(1);
    expect(await database.count('reaped')).toBe(1);
  });

  it('runs the cleanup in the background every cleanupInterval', async () => {
    const store = makeStore({ table: 'auto_reaped', cleanupInterval: 100 });
    const id = randomUUID();
    await store.begin(beginRequest(id, 'o', { ttlMs: 50 }));
    await store.complete({ id, owner: 'o', result: 'r', ttlMs: 50 });
    while ((await database.count('auto_reaped')) > 0) await sleep(50); // no cleanup() call: the timer deletes it
    store.close();
  });

  it('ping answers while the database is reachable and rejects within the timeout when it is not', async () => {
    await expect(makeStore().ping()).resolves.toBeUndefined();
    const silent = createServer((socket: Socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` });
    const store = createPostgresStore({ pool, timeout: 300, cleanupInterval: 0 });
    await expect(store.ping()).rejects.toBeInstanceOf(PostgresTimeoutError);
    await expect(store.begin(beginRequest(randomUUID(), 'o'))).rejects.toBeInstanceOf(PostgresTimeoutError);
    silent.close();
    silent.unref();
  });

  it('creates its schema once when 12 stores (12 pools) start at once on a fresh table', async () => {
    const fresh = Array.from({ length: 12 }, () => makeStore({ schema: 'first_use', table: 'records' }, { max: 2 }));
    const id = randomUUID();
    const outcomes = await Promise.all(fresh.map((store) => store.begin(beginRequest(id, randomUUID()))));
    expect(outcomes.filter((outcome) => outcome.status === 'acquired')).toHaveLength(1);
    expect(await database.count('first_use.records')).toBe(1);
  });

  it('validates its options', () => {
    const pool = database.pool();
    expect(() => createPostgresStore({ pool, table: 'x; DROP TABLE y' })).toThrow(
      /"table" must be a plain SQL identifier/,
    );
    expect(() => createPostgresStore({ pool, statementTimeout: 0 })).toThrow(/statementTimeout/);
    expect(() => createPostgresStore({ pool: {} as pg.Pool })).toThrow(/node-postgres Pool/);
  });
});

describe('postgres store: round trips, counted on the wire', () => {
  let proxy: PostgresProxy;
  beforeAll(async () => {
    proxy = await startPostgresProxy({ host: '127.0.0.1', port: 5432 });
  });
  afterAll(() => proxy.close());

  it('begin 1, replay 1, opening the transaction 1, commit with the result 1', async () => {
    const store = makeStore({}, { connectionString: proxy.url(database.name), max: 1 });
    const [id, owner] = [randomUUID(), randomUUID()];
    const roundTrips = async (step: () => Promise<unknown>) => {
      const before = proxy.roundTrips;
      await step();
      return proxy.roundTrips - before;
    };
    await store.begin(beginRequest(randomUUID(), 'warm-up')); // connects and creates the schema
    expect(await roundTrips(() => store.begin(beginRequest(id, owner)))).toBe(1);
    let tx!: Awaited<ReturnType<PostgresStore['openTransaction']>>;
    expect(await roundTrips(async () => (tx = await store.openTransaction({ id, owner })))).toBe(1);
    await insertPayment(tx.client, id, owner);
    expect(await roundTrips(() => tx.commit('"r"', HOUR))).toBe(1);
    expect(await roundTrips(() => store.begin(beginRequest(id, randomUUID())))).toBe(1);
  });

  it('a transaction opened with its savepoint takes 1 round trip; rolling back to that savepoint undoes the writes after it and leaves the transaction open', async () => {
    const store = makeStore({}, { connectionString: proxy.url(database.name), max: 1 });
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(randomUUID(), 'warm-up'));
    await store.begin(beginRequest(id, owner));
    const before = proxy.roundTrips;
    const tx = await store.openTransaction({ id, owner }, { savepoint: true });
    expect(proxy.roundTrips - before).toBe(1);
    await tx.openingSavepoint!.set;
    await insertPayment(tx.client, id, 'undone');
    await tx.openingSavepoint!.rollback();
    await insertPayment(tx.client, id, 'kept');
    expect(await tx.commit('"r"', HOUR)).toBe(true);
    expect([await paymentsOf('undone'), await paymentsOf('kept')]).toEqual([0, 1]);
    expect((await store.inspect(id))?.state).toBe('done');
  });
});
