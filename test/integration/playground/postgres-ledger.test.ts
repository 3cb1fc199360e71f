import type { PoolClient } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/core/run-context.js';
import { StaleFenceError, type ChargeDetails, type Ledger, type LedgerWrite } from '../../../playground/ledger.js';
import { createPostgresLedger } from '../../../playground/postgres-ledger.js';
import { createRunSchema, type RunDatabase } from '../../../playground/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

const tea = { amountCents: 300, description: 'Tea' };
const from = (instance: 'A' | 'B', fence: number, takeover = false): ChargeDetails => ({
  channel: 'graphql',
  requestKey: 'k1',
  instance,
  run: { paymentId: 'payment-1', fence, takeover },
});

/** A run whose `tx()` is a transaction on its own connection, which the test commits or rolls back as the library would. */
async function runWithTransaction(
  run: RunDatabase,
): Promise<{ run: RunContext; end(sql: 'COMMIT' | 'ROLLBACK'): Promise<void> }> {
  const client: PoolClient = await run.pool.connect();
  await client.query('BEGIN');
  return {
    run: { tx: async () => client } as unknown as RunContext,
    async end(sql) {
      await client.query(sql);
      client.release();
    },
  };
}

describe('the playground ledger on PostgreSQL', () => {
  let database: TestDatabase;
  let run: RunDatabase;
  let ledger: Ledger;
  const writes: LedgerWrite[] = [];
  const charges = () => database.count(`"${run.location.schema}".charges`);

  beforeAll(async () => {
    database = await createTestDatabase();
    run = await createRunSchema(database.url);
    ledger = createPostgresLedger({
      pool: run.pool,
      schema: run.location.schema,
      latencyMs: 1,
      onWrite: (write) => writes.push(write),
    });
  });
  afterAll(async () => {
    await run?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await ledger.reset();
    writes.length = 0;
  });

  it('writes a protected charge through the run transaction: invisible until it commits, one charge per payment id after', async () => {
    const a = await runWithTransaction(run);
    const first = await ledger.charge(tea, from('A', 1), a.run);
    expect(first).toMatchObject({ id: 'ch_1', fence: 1 });
    expect(await charges()).toBe(0); // uncommitted
    await a.end('COMMIT');
    const b = await runWithTransaction(run);
    expect(await ledger.charge(tea, from('B', 2, true), b.run)).toMatchObject({ id: 'ch_1', fence: 2 });
    await b.end('COMMIT');
    expect(await ledger.list()).toMatchObject([
      {
        id: 'ch_1',
        fence: 2,
        writes: [
          { instance: 'A', fence: 1, takeover: false },
          { instance: 'B', fence: 2, takeover: true },
        ],
      },
    ]);
    expect(writes.map((write) => [write.kind, write.inTransaction])).toEqual([
      ['inserted', true],
      ['rewritten', true],
    ]);
  });

  it('leaves no row for a run whose transaction rolled back: the takeover inserts the only one', async () => {
    const a = await runWithTransaction(run);
    await ledger.charge(tea, from('A', 1), a.run);
    await a.end('ROLLBACK');
    const b = await runWithTransaction(run);
    await ledger.charge(tea, from('B', 2, true), b.run);
    await b.end('COMMIT');
    expect(await ledger.list()).toMatchObject([{ id: 'ch_2', fence: 2, writes: [{ instance: 'B', fence: 2 }] }]);
    expect(writes.map((write) => write.kind)).toEqual(['inserted', 'inserted']);
  });

  it('refuses a write with a smaller fence than the payment holds, and changes nothing', async () => {
    const b = await runWithTransaction(run);
    await ledger.charge(tea, from('B', 2), b.run);
    await b.end('COMMIT');
    const a = await runWithTransaction(run);
    await expect(ledger.charge({ ...tea, amountCents: 999 }, from('A', 1), a.run)).rejects.toThrow(StaleFenceError);
    await a.end('ROLLBACK');
    expect(await ledger.list()).toMatchObject([{ amountCents: 300, fence: 2, writes: [{ instance: 'B', fence: 2 }] }]);
    expect(writes.map((write) => write.kind)).toEqual(['inserted', 'refused']);
  });

  it('commits every call without a run at once, each a new charge (the unprotected APIs); reset starts over at ch_1', async () => {
    const details: ChargeDetails = { channel: 'trpc', requestKey: 'k1', instance: 'A' };
    await ledger.charge(tea, details);
    await ledger.charge(tea, { ...details, instance: 'B' });
    expect(await charges()).toBe(2);
    expect((await ledger.list()).map((charge) => [charge.id, charge.fence])).toEqual([
      ['ch_1', null],
      ['ch_2', null],
    ]);
    expect(writes.map((write) => write.inTransaction)).toEqual([false, false]);
    await ledger.reset();
    expect(await charges()).toBe(0);
    expect((await ledger.charge(tea, details)).id).toBe('ch_1');
  });
});
