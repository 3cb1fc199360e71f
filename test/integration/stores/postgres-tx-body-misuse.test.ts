/**
 * A body that misuses the transaction `ctx.idempotency.tx()` gives it (ends it with its own COMMIT,
 * as an ORM's `transaction()` does on a client already in BEGIN; releases the client itself; keeps
 * the client and writes after it returned): the key is never run again, no caller is told "nothing
 * committed" when something did, and no statement lands in a transaction it does not belong to.
 * Includes reproductions from the adversarial reviews of December 2026.
 * Origin (the lost reply to the completion after the body's own COMMIT; pg internals through the
 * client): an adversarial review of the PostgreSQL store.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import type { RunContext } from '../../../src/index.js';
import { createPostgresStore } from '../../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';

let database: TestDatabase;
let proxy: PostgresProxy;
const closers: (() => void)[] = [];

/** An engine on a store of its own pool (`max` connections), and that pool. */
function engineOn(max = 10) {
  const pool = database.pool({ max });
  const store = createPostgresStore({ pool, cleanupInterval: 0 });
  closers.push(() => store.close());
  return { engine: createIdempotencyEngine({ store }), pool };
}

const rowsOf = (key: string) => database.count(`payments WHERE key = '${key}'`);
const insert = (client: pg.PoolClient, key: string) => client.query('INSERT INTO payments (key) VALUES ($1)', [key]);
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, code: undefined }),
    (error: { code?: string }) => ({ value: undefined, code: error.code }),
  );
/** How a statement sent after its attempt ended was answered: its error's code and reason. */
const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ran',
    (error: { code?: string; reason?: string }) => `${error.code}/${error.reason}`,
  );
const REFUSED = 'IDEMPOTENCY_TRANSACTION_UNAVAILABLE/ended';
/** The server process behind a client: the same number means the same connection. */
const backendOf = async (client: pg.PoolClient) =>
  (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/**
 * A keyed request whose body writes its row through `tx()`, then does `rest` with the client (its
 * own COMMIT, …), and counts its runs.
 */
function writingRequest(key: string, rest: (tx: pg.PoolClient) => Promise<unknown>) {
  let runs = 0;
  const request = {
    scope: 'u',
    operation: 'pay',
    key,
    input: {},
    run: async (context: RunContext) => {
      runs++;
      const tx = await context.tx<pg.PoolClient>();
      await insert(tx, key);
      return rest(tx);
    },
  };
  return { request, runs: () => runs };
}

beforeAll(async () => {
  database = await createTestDatabase();
  await database.pool({ max: 1 }).query('CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL)');
  proxy = await startPostgresProxy({ host: '127.0.0.1', port: 5432 });
});
afterAll(async () => {
  closers.forEach((close) => close());
  await proxy?.close();
  await database?.drop();
});

describe('tx() ended or released by the body', () => {
  it('a body that COMMITs its own transaction: refused with IDEMPOTENCY_TRANSACTION_ENDED, and every repeat is refused, never run again (one row)', async () => {
    const { engine } = engineOn();
    const key = randomUUID();
    let runs = 0;
    const request = {
      scope: 'u',
      operation: 'pay',
      key,
      input: { amount: 1 },
      run: async (context: RunContext) => {
        runs++;
        const tx = await context.tx<pg.PoolClient>();
        await tx.query('BEGIN'); // what an ORM's transaction() sends on a session already in BEGIN
        await insert(tx, key);
        await tx.query('COMMIT');
        return { paid: true };
      },
    };
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_TRANSACTION_ENDED');
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_RESULT_NOT_STORED');
    expect(runs).toBe(1);
    expect(await rowsOf(key)).toBe(1);
  });

  it('a body that COMMITs its own transaction, then throws: its writes stay, so the key is never freed; every repeat is refused, never run again (one row)', async () => {
    const { engine } = engineOn();
    const key = randomUUID();
    const { request, runs } = writingRequest(key, async (tx) => {
      await tx.query('COMMIT');
      throw new Error('threw after its own COMMIT');
    });
    await expect(engine.execute(request)).rejects.toThrow('threw after its own COMMIT');
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_RESULT_NOT_STORED');
    expect(runs()).toBe(1);
    expect(await rowsOf(key)).toBe(1);
  });

  it('a body that COMMITs its own transaction, then fails a statement in a block of its own (the commit refused, 25P02): still IDEMPOTENCY_TRANSACTION_ENDED, never COMMIT_FAILED with the key freed (one row)', async () => {
    const { engine } = engineOn();
    const key = randomUUID();
    const { request, runs } = writingRequest(key, async (tx) => {
      await tx.query('COMMIT; BEGIN');
      await tx.query('SELECT 1 / 0').catch(() => undefined); // aborts the body's own block
      return 'ok';
    });
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_TRANSACTION_ENDED');
    expect((await settle(engine.execute(request))).code).toBe('IDEMPOTENCY_RESULT_NOT_STORED');
    expect(runs()).toBe(1);
    expect(await rowsOf(key)).toBe(1);
  });

  it('a body that COMMITs its own transaction, and the reply to the completion is lost: IDEMPOTENCY_TRANSACTION_ENDED, and the retry after the lease is refused, never run again (one row)', async () => {
    const store = createPostgresStore({
      pool: database.pool({ max: 4, connectionString: proxy.url(database.name) }),
      cleanupInterval: 0,
      idleInTransactionTimeout: 500,
    });
    closers.push(() => store.close());
    await store.cleanup(); // the schema in place: the fault hits the completion
    const engine = createIdempotencyEngine({ store, lease: 300 });
    const key = randomUUID();
    const { request, runs } = writingRequest(key, async (tx) => {
      await tx.query('COMMIT'); // what an ORM's transaction() does on a client already in BEGIN
      return 'paid';
    });
    const lost = proxy.lose('drop-reply', /_commit"\(/);
    const first = (await settle(engine.execute(request))).code;
    await lost;
    await new Promise((resolve) => setTimeout(resolve, 600)); // a lease would lapse: the refusal is kept, not left to it
    const retry = (await settle(engine.execute(request))).code;
    expect({ first, retry, runs: runs(), rows: await rowsOf(key) }).toEqual({
      first: 'IDEMPOTENCY_TRANSACTION_ENDED',
      retry: 'IDEMPOTENCY_RESULT_NOT_STORED',
      runs: 1,
      rows: 1,
    });
  });

  it('a body that releases the client itself: ignored, the connection stays with the attempt (a query another caller sends meanwhile waits, and is not rolled back with it); its writes and result commit, then a replay', async () => {
    const { engine, pool } = engineOn(1);
    const key = randomUUID();
    const foreign = `${key}-foreign`;
    let waiting: Promise<unknown> | undefined;
    const { request, runs } = writingRequest(key, async (tx) => {
      tx.release();
      waiting = pool.query('INSERT INTO payments (key) VALUES ($1)', [foreign]); // the pool's one connection
      await insert(tx, key); // still the attempt's transaction
      return 'ok';
    });
    const first = await settle(engine.execute(request));
    expect(first).toEqual({ value: { value: 'ok', replayed: false }, code: undefined });
    await waiting;
    expect(await settle(engine.execute(request))).toEqual({ value: { value: 'ok', replayed: true }, code: undefined });
    expect(runs()).toBe(1);
    expect(await rowsOf(key)).toBe(2);
    expect(await rowsOf(foreign)).toBe(1);

    // The same with a body that throws after releasing: the other caller's row is not rolled back with its writes.
    const thrown = randomUUID();
    const failed = engine.execute({
      ...request,
      key: thrown,
      run: async (context: RunContext) => {
        const tx = await context.tx<pg.PoolClient>();
        await insert(tx, thrown);
        tx.release();
        waiting = pool.query('INSERT INTO payments (key) VALUES ($1)', [`${thrown}-foreign`]);
        throw new Error('after releasing');
      },
    });
    await expect(failed).rejects.toThrow('after releasing');
    await waiting;
    expect(await rowsOf(thrown)).toBe(0);
    expect(await rowsOf(`${thrown}-foreign`)).toBe(1);
  });
});

describe('the client tx() gave, kept past the end of its attempt', () => {
  it.each([
    ['keyed', 'returns', true],
    ['keyed', 'throws', true],
    ['unkeyed', 'returns', false],
    ['unkeyed', 'throws', false],
  ])(
    '%s: a write sent after the body returned is refused and lands in neither its transaction nor the next attempt’s on the same connection (the next body %s)',
    async (_, next, keyed) => {
      const { engine } = engineOn(1); // one connection: the next attempt's transaction runs on it
      const [first, second] = [randomUUID(), randomUUID()];
      const late = `${first}-late`;
      let sendLate!: () => void;
      const gate = new Promise<void>((resolve) => (sendLate = resolve));
      let refusal!: Promise<string>;
      const backends: number[] = [];
      const call = (key: string, run: (context: RunContext) => Promise<string>) =>
        engine.execute({ scope: 'u', operation: 'pay', key: keyed ? key : undefined, input: {}, run });

      await call(first, async (context) => {
        const tx = await context.tx<pg.PoolClient>();
        await insert(tx, first);
        backends.push(await backendOf(tx));
        refusal = refusalOf(gate.then(() => insert(tx, late))); // not awaited: sent once the next attempt runs
        return 'first';
      });
      const answer = await settle(
        call(second, async (context) => {
          const tx = await context.tx<pg.PoolClient>();
          backends.push(await backendOf(tx));
          sendLate();
          expect(await refusal).toBe(REFUSED);
          await insert(tx, second);
          if (next === 'throws') throw Object.assign(new Error('the next body threw'), { code: 'NEXT_THREW' });
          return 'second';
        }),
      );
      expect(answer.code).toBe(next === 'throws' ? 'NEXT_THREW' : undefined);
      expect(backends[1]).toBe(backends[0]);
      expect(await rowsOf(first)).toBe(1);
      expect(await rowsOf(second)).toBe(next === 'throws' ? 0 : 1);
      expect(await rowsOf(late)).toBe(0);
    },
  );

  it('every form of query is refused after the attempt ended (promise, callback, Submittable), and release() does nothing', async () => {
    const { engine, pool } = engineOn(1);
    const key = randomUUID();
    let tx!: pg.PoolClient;
    await engine.execute({
      scope: 'u',
      operation: 'pay',
      key,
      input: {},
      run: async (context) => {
        tx = await context.tx<pg.PoolClient>();
        await insert(tx, key);
        return 'ok';
      },
    });
    const text = 'INSERT INTO payments (key) VALUES ($1)';
    const late = [`${key}-promise`, `${key}-config`, `${key}-callback`, `${key}-values-callback`, `${key}-submit`];
    expect(await refusalOf(tx.query(text, [late[0]]))).toBe(REFUSED);
    expect(await refusalOf(tx.query({ text, values: [late[1]] }))).toBe(REFUSED);
    const viaCallback = (send: (done: (error: Error | null) => void) => void) =>
      refusalOf(new Promise<void>((resolve, reject) => send((error) => (error ? reject(error) : resolve()))));
    expect(await viaCallback((done) => tx.query(text, [late[2]], done))).toBe(REFUSED);
    expect(await viaCallback((done) => tx.query({ text, values: [late[3]], callback: done } as pg.QueryConfig))).toBe(
      REFUSED,
    );
    let submitted = false;
    const submittable = await refusalOf(
      new Promise<void>((resolve, reject) => {
        const query = { submit: () => ((submitted = true), resolve()), handleError: reject };
        expect(tx.query(query as unknown as pg.Submittable)).toBe(query);
      }),
    );
    expect(submittable).toBe(REFUSED);
    expect(submitted).toBe(false);
    tx.release(); // does nothing: the store gave the connection back, once
    expect(await pool.query('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] });
    expect(await rowsOf(key)).toBe(1);
    for (const each of late) expect(await rowsOf(each)).toBe(0);
  });
});

describe('pg internals through the client tx() gave', () => {
  it('the query of its prototype, called with the client kept past its attempt: refused, and it lands neither in its transaction nor in the next attempt’s on the same connection', async () => {
    const { engine } = engineOn(1);
    const [first, second] = [randomUUID(), randomUUID()];
    const late = `${first}-late`;
    let kept!: pg.PoolClient;
    const call = (key: string, run: (context: RunContext) => Promise<string>) =>
      engine.execute({ scope: 'u', operation: 'pay', key, input: {}, run });
    await call(first, async (context) => {
      kept = await context.tx<pg.PoolClient>();
      await insert(kept, first);
      return 'first';
    });
    let refusal!: string;
    await call(second, async (context) => {
      const tx = await context.tx<pg.PoolClient>();
      const { query } = Object.getPrototypeOf(kept) as { query: (...args: unknown[]) => Promise<unknown> };
      refusal = await refusalOf(query.call(kept, 'INSERT INTO payments (key) VALUES ($1)', [late]));
      await insert(tx, second);
      return 'second';
    });
    expect(refusal).toBe(REFUSED);
    expect([await rowsOf(first), await rowsOf(second), await rowsOf(late)]).toEqual([1, 1, 0]);
  });

  it('pg’s own Client.prototype.query called with the client, and its connection and queue, throw a TypeError, during the attempt and after; its public API works', async () => {
    const { engine } = engineOn(1);
    const key = randomUUID();
    const text = 'INSERT INTO payments (key) VALUES ($1)';
    const reachInternals = (tx: pg.PoolClient, tag: string) => [
      () => (pg.Client.prototype.query as (...args: unknown[]) => unknown).call(tx, text, [`${key}-${tag}-prototype`]),
      () => (tx as unknown as { connection: { query(text: string): void } }).connection.query(text),
      () => (tx as unknown as { _queryQueue: unknown[] })._queryQueue.push({}),
      () => (tx as unknown as { queryQueue: unknown[] }).queryQueue.push({}), // its name in older pg 8 releases
      () => Object.assign(tx, { _queryable: true }),
    ];
    let tx!: pg.PoolClient;
    await engine.execute({
      scope: 'u',
      operation: 'pay',
      key,
      input: {},
      run: async (context) => {
        tx = await context.tx<pg.PoolClient>();
        for (const reach of reachInternals(tx, 'during')) expect(reach).toThrow(TypeError);
        expect(tx.escapeLiteral("it's")).toBe("'it''s'");
        const listener = () => {};
        tx.on('notice', listener).removeListener('notice', listener);
        await insert(tx, key);
        return 'ok';
      },
    });
    for (const reach of reachInternals(tx, 'after')) expect(reach).toThrow(TypeError);
    expect(await rowsOf(key)).toBe(1);
    expect(await database.count(`payments WHERE key LIKE '${key}-%'`)).toBe(0);
  });
});
