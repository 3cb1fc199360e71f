/**
 * tRPC over HTTP with the PostgreSQL store: writes through `ctx.idempotency.tx()` commit with the
 * stored result, once; the replay is the same typed value (a Date stays a Date) (issue #19). An
 * unkeyed `createCaller` call nested in a keyed call writes through the keyed call's transaction,
 * so its writes commit once, with it. Origin of the nested cases: an adversarial review of the
 * PostgreSQL store.
 */
import { randomUUID } from 'node:crypto';
import { initTRPC, TRPCError } from '@trpc/server';
import type { PoolClient } from 'pg';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, type IdempotencyStore, type RunContext } from '../../../src/index.js';
import { createPostgresStore, type PostgresStore } from '../../../src/stores/postgres.js';
import { idempotency } from '../../../src/trpc/index.js';
import { afterWrite, type PaymentControl } from '../../support/graphql-tx-scenarios.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { clientFor, rejection } from '../../support/servers/trpc/client.js';
import { serve } from '../../support/servers/trpc/servers.js';

let database: TestDatabase;
let store: PostgresStore;
beforeAll(async () => {
  database = await createTestDatabase();
  const pool = database.pool({ max: 60 });
  await pool.query(
    'CREATE TABLE payments (id serial PRIMARY KEY, key text, amount int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  await pool.query('CREATE TABLE ledger (id serial PRIMARY KEY, tag text NOT NULL, key text, what text NOT NULL)');
  store = createPostgresStore({ pool, cleanupInterval: 0, timeout: 30_000 }); // generous: a busy machine must not turn a claim into a 503
});
afterAll(() => database?.drop());

function paymentRouter(
  idempotencyStore: IdempotencyStore,
  control: PaymentControl,
  engine: { lease?: number; maxRunTime?: number } = {},
) {
  const t = initTRPC.context<object>().create({ transformer: superjson });
  const idempotent = idempotency({ store: idempotencyStore, scope: false, transformer: superjson, ...engine });
  return t.router({
    pay: t.procedure
      .use(idempotent)
      .input((raw) => raw as { amount: number })
      .mutation(async ({ ctx, input }) => {
        const tx = await ctx.idempotency.tx<PoolClient>();
        const { rows } = await tx.query<{ id: number; created_at: Date }>(
          'INSERT INTO payments (key, amount) VALUES ($1, $2) RETURNING id, created_at',
          [ctx.idempotency.key ?? null, input.amount],
        );
        await afterWrite(control);
        return { id: rows[0]!.id, createdAt: rows[0]!.created_at };
      }),
  });
}
type PaymentRouter = ReturnType<typeof paymentRouter>;

async function start(
  control: PaymentControl,
  engine: { lease?: number; maxRunTime?: number } = {},
  on: IdempotencyStore = store,
) {
  const url = await serve(paymentRouter(on, control, engine), ({ req }) => ({ req }));
  return (key?: string) =>
    clientFor<PaymentRouter>(url, key ? { 'idempotency-key': key } : {}).pay.mutate({ amount: 42 });
}
const rows = (key: string) => database.count(`payments WHERE key = '${key}'`);

describe('tRPC: ctx.idempotency.tx() on PostgreSQL', () => {
  it('a keyed mutation writes its row once; the replay is the same value, its Date a Date', async () => {
    const pay = await start({ failNext: 0 });
    const key = randomUUID();
    const first = await pay(key);
    const replay = await pay(key);
    expect(replay.createdAt).toBeInstanceOf(Date);
    expect(replay).toEqual(first);
    expect(await rows(key)).toBe(1);
  });

  it('40 concurrent duplicates write one row; every other answer is CONFLICT', async () => {
    const pay = await start({ failNext: 0 });
    const key = randomUUID();
    const settled = await Promise.allSettled(Array.from({ length: 40 }, () => pay(key)));
    const values = settled.filter((each) => each.status === 'fulfilled').map((each) => each.value.id);
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values).size).toBe(1);
    for (const each of settled)
      if (each.status === 'rejected') expect((each.reason as { data?: { code?: string } }).data?.code).toBe('CONFLICT');
    expect(await rows(key)).toBe(1);
  });

  it('a body that threw after writing leaves no row, and the retry writes one', async () => {
    const pay = await start({ failNext: 1 });
    const key = randomUUID();
    expect((await rejection(pay(key))).data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await rows(key)).toBe(0);
    await pay(key);
    expect(await rows(key)).toBe(1);
  });

  it('a stale holder taken over: its row is rolled back, it gets SERVICE_UNAVAILABLE (IDEMPOTENCY_LEASE_LOST), the taker’s row stands', async () => {
    let written!: () => void;
    let open!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const gate = new Promise<void>((resolve) => (open = resolve));
    const pay = await start({ failNext: 0, hold: { gate, written } }, { lease: 200, maxRunTime: 200 });
    const key = randomUUID();
    const stale = rejection(pay(key));
    await wrote;
    let taken: Awaited<ReturnType<typeof pay>> | undefined;
    while (!taken) {
      taken = await pay(key).catch(async (error: { data?: { code?: string } }) => {
        expect(error.data?.code).toBe('CONFLICT');
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    open();
    const lost = await stale;
    expect(lost.data?.code).toBe('SERVICE_UNAVAILABLE');
    expect(lost.message).toMatch(/lost its Idempotency-Key record/);
    expect(await rows(key)).toBe(1);
    expect(await pay(key)).toEqual(taken);
  });

  it('unkeyed: a plain transaction, committed when the procedure returns, rolled back when it throws', async () => {
    const control = { failNext: 0 };
    const pay = await start(control);
    const before = await database.count('payments WHERE key IS NULL');
    await pay();
    expect(await database.count('payments WHERE key IS NULL')).toBe(before + 1);
    control.failNext = 1;
    await rejection(pay());
    expect(await database.count('payments WHERE key IS NULL')).toBe(before + 1);
  });

  it('on the memory store tx() is refused with the error naming the fix, and nothing is stored', async () => {
    const pay = await start({ failNext: 0 }, {}, createMemoryStore());
    const refused = await rejection(pay(randomUUID()));
    expect(refused.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(refused.message).toMatch(/createPostgresStore/);
  });
});

/** What the nested-call tests steer; each failure happens once, then is cleared. */
interface NestedControl {
  /** The outer procedure throws after its own write. */
  failOuter?: boolean;
  /** The nested `charge` throws: before asking `tx()`, or after writing through it. */
  failCharge?: 'before-tx' | 'after-write';
  /** The nested `reserve` throws after its own nested `charge` returned. */
  failReserve?: boolean;
}

/**
 * `checkout`, keyed by the header: an unkeyed nested call (`charge`, or `reserve`, which makes a
 * nested `charge` of its own) whose error it catches, then its own ledger line. Every line is
 * written through `ctx.idempotency.tx()`, with the router's `tag` and `ctx.idempotency.key`.
 */
function checkoutRouter(control: NestedControl, tag: string) {
  const t = initTRPC.context<object>().create({ transformer: superjson });
  const mutation = t.procedure.use(idempotency({ store, scope: false, transformer: superjson }));
  const write = async (ctx: { idempotency: RunContext }, what: string) => {
    const tx = await ctx.idempotency.tx<PoolClient>();
    await tx.query('INSERT INTO ledger (tag, key, what) VALUES ($1, $2, $3)', [tag, ctx.idempotency.key ?? null, what]);
  };
  const once = <K extends keyof NestedControl>(name: K): NestedControl[K] => {
    const value = control[name];
    control[name] = undefined;
    return value;
  };
  const leaf = t.router({
    charge: mutation.mutation(async ({ ctx }) => {
      const fail = once('failCharge');
      if (fail === 'before-tx') throw new TRPCError({ code: 'BAD_REQUEST', message: 'card declined' });
      await write(ctx, 'charge');
      if (fail === 'after-write') throw new TRPCError({ code: 'BAD_REQUEST', message: 'card declined after writing' });
      return 'charged';
    }),
  });
  const middle = t.router({
    reserve: mutation.mutation(async ({ ctx }) => {
      await leaf.createCaller(ctx).charge();
      if (once('failReserve')) throw new TRPCError({ code: 'CONFLICT', message: 'out of stock' });
      return 'reserved';
    }),
  });
  return t.router({
    checkout: mutation
      .input((raw) => raw as { via: 'charge' | 'reserve' })
      .mutation(async ({ ctx, input }) => {
        try {
          await (input.via === 'charge' ? leaf.createCaller(ctx).charge() : middle.createCaller(ctx).reserve());
        } catch {
          // The outer body goes on without the nested call's result.
        }
        await write(ctx, 'order');
        if (once('failOuter')) throw new Error('the outer body threw after the nested call returned');
        return 'checked out';
      }),
  });
}

describe('tRPC on PostgreSQL: an unkeyed createCaller call nested in a keyed call is part of its body', () => {
  async function start(control: NestedControl) {
    const [tag, key] = [randomUUID(), randomUUID()];
    const url = await serve(checkoutRouter(control, tag), ({ req }) => ({ req }));
    const client = clientFor<ReturnType<typeof checkoutRouter>>(url, { 'idempotency-key': key });
    const lines = async () => ({
      order: await database.count(`ledger WHERE tag = '${tag}' AND what = 'order'`),
      charge: await database.count(`ledger WHERE tag = '${tag}' AND what = 'charge'`),
      /** Lines written under another key than the outer call's (or none). */
      foreign: await database.count(`ledger WHERE tag = '${tag}' AND key IS DISTINCT FROM '${key}'`),
    });
    return { checkout: (via: 'charge' | 'reserve') => client.checkout.mutate({ via }), lines };
  }

  it('the outer body threw after the nested call returned: both writes roll back, and the retry writes each once (the nested line committed twice)', async () => {
    const { checkout, lines } = await start({ failOuter: true });
    expect((await rejection(checkout('charge'))).data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await lines()).toEqual({ order: 0, charge: 0, foreign: 0 });
    expect(await checkout('charge')).toBe('checked out');
    expect(await checkout('charge')).toBe('checked out'); // the replay
    expect(await lines()).toEqual({ order: 1, charge: 1, foreign: 0 }); // the nested line under the outer key: its run context
  });

  it('a nested call that wrote through tx() and threw, caught by the outer body: nothing commits, IDEMPOTENCY_COMMIT_FAILED, and the retry runs it all once', async () => {
    const { checkout, lines } = await start({ failCharge: 'after-write' });
    const refused = await rejection(checkout('charge'));
    expect(refused.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(refused.message).toMatch(/failed to commit: nothing was written/);
    expect(await lines()).toEqual({ order: 0, charge: 0, foreign: 0 });
    expect(await checkout('charge')).toBe('checked out');
    expect(await lines()).toEqual({ order: 1, charge: 1, foreign: 0 });
  });

  it('a call nested two deep wrote and returned, the call between threw, the outer body caught it: nothing commits', async () => {
    const { checkout, lines } = await start({ failReserve: true });
    expect((await rejection(checkout('reserve'))).message).toMatch(/failed to commit: nothing was written/);
    expect(await lines()).toEqual({ order: 0, charge: 0, foreign: 0 });
    expect(await checkout('reserve')).toBe('checked out');
    expect(await lines()).toEqual({ order: 1, charge: 1, foreign: 0 });
  });

  it('a nested call that threw before asking tx(), caught by the outer body: the outer call commits and replays as usual', async () => {
    const { checkout, lines } = await start({ failCharge: 'before-tx' });
    expect(await checkout('charge')).toBe('checked out');
    expect(await checkout('charge')).toBe('checked out'); // the replay
    expect(await lines()).toEqual({ order: 1, charge: 0, foreign: 0 });
  });
});
