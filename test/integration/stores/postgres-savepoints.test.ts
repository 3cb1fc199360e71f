/**
 * The PostgreSQL store's savepoints on real PostgreSQL: the one set with BEGIN (the opening
 * savepoint, `idempotency_part_1`) and those set after it, rolled back to in any order.
 * Origin: the adversarial review of the opening savepoint (2026-12-07); every attempt held.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { beginRequest } from '../../support/stores/store-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

const HOUR = 3_600_000;
let database: TestDatabase;
let store: PostgresStore;
beforeAll(async () => {
  database = await createTestDatabase();
  const pool = database.pool({ max: 5 });
  await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text, tag text NOT NULL)');
  store = createPostgresStore({ pool, cleanupInterval: 0 });
});
afterAll(async () => {
  store?.close();
  await database?.drop();
});
const put = (client: pg.PoolClient, key: string | null, tag: string) =>
  client.query('INSERT INTO payments (key, tag) VALUES ($1, $2)', [key, tag]);
const tagged = (tag: string) => database.count(`payments WHERE tag = '${tag}'`);

describe('postgres store: the opening savepoint and the savepoints after it', () => {
  it('opening savepoint, then savepoint() twice: names never collide; rolling back to the opening one after later ones undoes them all; the next savepoint(rollBackTo: opening) works', async () => {
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner }, { savepoint: true });
    const p1 = tx.openingSavepoint!;
    await put(tx.client, id, `${id}-a`);
    const p2 = tx.savepoint!();
    await p2.set;
    await put(tx.client, id, `${id}-b`);
    const p3 = tx.savepoint!(p2); // rolls b back, sets part_3
    await p3.set;
    await put(tx.client, id, `${id}-c`);
    // Rolling back to part_1 destroys part_2 and part_3; a later savepoint(p1) rolls back again and sets part_4.
    const p4 = tx.savepoint!(p1);
    await p4.set;
    await put(tx.client, id, `${id}-d`);
    // Rolling back to a destroyed savepoint must fail loudly, never silently keep writes.
    await expect(p3.rollback()).rejects.toThrow(/savepoint/i);
    await expect(tx.commit('"r"', HOUR)).rejects.toThrow();
    expect(await Promise.all(['a', 'b', 'c', 'd'].map((t) => tagged(`${id}-${t}`)))).toEqual([0, 0, 0, 0]);
    expect((await store.inspect(id))?.state).toBe('running');
  });

  it('opening savepoint, then savepoint(opening) and commit: only the writes after the rollback commit, with the result', async () => {
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner }, { savepoint: true });
    await put(tx.client, id, `${id}-a`);
    const p2 = tx.savepoint!(tx.openingSavepoint);
    await p2.set;
    await put(tx.client, id, `${id}-b`);
    await p2.rollback();
    await put(tx.client, id, `${id}-c`);
    expect(await tx.commit('"r"', HOUR)).toBe(true);
    expect(await Promise.all(['a', 'b', 'c'].map((t) => tagged(`${id}-${t}`)))).toEqual([0, 0, 1]);
    expect((await store.inspect(id))?.state).toBe('done');
  });

  it('unkeyed, with the opening savepoint: a write rolled back to it is gone, the next commits', async () => {
    const tag = randomUUID();
    const tx = await store.openTransaction(undefined, { savepoint: true });
    await put(tx.client, null, `${tag}-a`);
    await tx.openingSavepoint!.rollback();
    await put(tx.client, null, `${tag}-b`);
    expect(await tx.commit('', HOUR)).toBe(true);
    expect([await tagged(`${tag}-a`), await tagged(`${tag}-b`)]).toEqual([0, 1]);
  });

  it('the opening savepoint after the SQL error of a statement: rolling back to it recovers the transaction', async () => {
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner }, { savepoint: true });
    await put(tx.client, id, `${id}-a`);
    await expect(tx.client.query('INSERT INTO payments (key, tag) VALUES (NULL, NULL)')).rejects.toThrow();
    const p2 = tx.savepoint!(tx.openingSavepoint);
    await p2.set;
    await put(tx.client, id, `${id}-b`);
    expect(await tx.commit('"r"', HOUR)).toBe(true);
    expect([await tagged(`${id}-a`), await tagged(`${id}-b`)]).toEqual([0, 1]);
  });

  it('the opening savepoint is absent when not asked for, and the first savepoint() is then idempotency_part_1', async () => {
    const tx = await store.openTransaction(undefined, {});
    expect(tx.openingSavepoint).toBeUndefined();
    const p1 = tx.savepoint!();
    await p1.set;
    const { rows } = await tx.client.query('SELECT 1 AS ok'); // transaction alive
    expect(rows[0]).toEqual({ ok: 1 });
    await p1.rollback();
    await tx.rollback();
  });

  it('the opening savepoint’s rollback after the transaction ended is refused (ended), never sent', async () => {
    const tx = await store.openTransaction(undefined, { savepoint: true });
    await tx.rollback();
    await expect(tx.openingSavepoint!.rollback()).rejects.toMatchObject({ reason: 'ended' });
  });
});
