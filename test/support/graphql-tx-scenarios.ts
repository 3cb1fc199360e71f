/**
 * The `ctx.idempotency.tx()` scenarios every GraphQL server adapter must pass on real PostgreSQL:
 * a payment row written through the attempt's transaction commits with the stored result, once.
 * Each adapter's test file gives `serve` (its real server over the store and the resolvers here).
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IdempotencyOptions, RunContext } from '../../src/index.js';
import { createPostgresStore, type PostgresStore } from '../../src/stores/postgres.js';
import { createTestDatabase, type TestDatabase } from './postgres-database.js';

export const paymentTypeDefs = /* GraphQL */ `
  type Query {
    ping: String!
  }
  type Payment {
    id: Int!
    amount: Int!
    "The database transaction the row was written in."
    txid: String!
    "Whether the row is there, read through tx() by this child field."
    stored: Boolean!
  }
  type Mutation {
    pay(amount: Int!): Payment!
    "Writes its row through tx(), then throws."
    payThenThrow(amount: Int!): Payment
    "Writes its row, then a statement PostgreSQL refuses (aborting the transaction until rolled back); throws its error."
    payThenFailSql(amount: Int!): Payment
    "Writes its row through the request's one tx() client (a memo on the context: context.db ??= tx()); then throws when asked."
    payShared(amount: Int!, throws: Boolean!): Payment
    "Writes its row at once, before any await, through the client a previous root field kept (else gets and keeps one); then throws when asked."
    payKept(amount: Int!, throws: Boolean!): Payment
    "Sends a write it does not await, which runs once the next root field (payAfterLate) started; then returns, or throws when asked."
    payLate(amount: Int!, throws: Boolean!): Payment
    "Lets the previous root field's late write run, and waits for its answer; then writes its row."
    payAfterLate(amount: Int!): Payment!
  }
`;

/** What the tests steer: a body that throws after writing, or one held before it returns. */
export interface PaymentControl {
  /** How many next bodies throw an unexpected error after their INSERT. */
  failNext: number;
  /** Awaited by the next body after its INSERT (then cleared), with `written` called first. */
  hold?: { gate: Promise<void>; written: () => void };
  /** The write `payLate` did not await: `send` lets it go; `answer` is how it was answered (`ran`, or `code/reason`). */
  late?: { send: () => void; answer: Promise<string> };
}

/** What a body does once it wrote its row: waits at `control.hold` (once), throws while `control.failNext` says so. */
export async function afterWrite(control: PaymentControl): Promise<void> {
  const hold = control.hold;
  if (hold) {
    control.hold = undefined;
    hold.written();
    await hold.gate;
  }
  if (control.failNext > 0) {
    control.failNext--;
    throw new Error('the body threw after writing');
  }
}

const INSERT = 'INSERT INTO payments (key, amount) VALUES ($1, $2) RETURNING id, txid_current()::text AS txid';

/** The resolvers' context: the run context, and the one client of the request some apps keep. */
interface PaymentContext {
  idempotency: RunContext;
  /** A per-request memo of the transaction's client, shared by every resolver. */
  db?: Promise<PoolClient>;
  /** A client a previous root field got, kept for the next ones. */
  kept?: PoolClient;
}

/** One payment row written through `context.idempotency.tx()`: its id and transaction id. */
async function insertPayment(context: object, amount: number) {
  const { idempotency } = context as { idempotency: RunContext };
  const tx = await idempotency.tx<PoolClient>();
  return { tx, row: await insertThrough(tx, idempotency, amount) };
}

/** One payment row written through `tx`: the payment, with its id and transaction id. */
async function insertThrough(tx: PoolClient, idempotency: RunContext, amount: number) {
  const { rows } = await tx.query<{ id: number; txid: string }>(INSERT, [idempotency.key ?? null, amount]);
  const row = rows[0]!;
  return { id: row.id, amount, txid: row.txid };
}

/** The answer to a statement: `ran`, or its error's `code/reason`. */
const answerOf = (statement: Promise<unknown>) =>
  statement.then(
    () => 'ran',
    (error: { code?: string; reason?: string }) => `${error.code}/${error.reason}`,
  );

/** The resolvers: one INSERT through `context.idempotency.tx()` (then a throw, for the `payThen…` fields). */
export function paymentResolvers(control: PaymentControl) {
  return {
    Query: { ping: () => 'pong' },
    Payment: {
      async stored({ id }: { id: number }, _: unknown, context: object) {
        const tx = await (context as PaymentContext).idempotency.tx<PoolClient>();
        const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM payments WHERE id = $1', [id]);
        return rows[0]!.n === 1;
      },
    },
    Mutation: {
      async payThenThrow(_: unknown, { amount }: { amount: number }, context: object) {
        await insertPayment(context, amount);
        throw new Error('payThenThrow threw after writing');
      },
      async payThenFailSql(_: unknown, { amount }: { amount: number }, context: object) {
        const { tx } = await insertPayment(context, amount);
        await tx.query('INSERT INTO payments (key, amount) VALUES (NULL, NULL)'); // 23502: amount is NOT NULL
        return null;
      },
      async pay(_: unknown, { amount }: { amount: number }, context: object) {
        const { row } = await insertPayment(context, amount);
        await afterWrite(control);
        return row;
      },
      async payShared(_: unknown, { amount, throws }: { amount: number; throws: boolean }, given: object) {
        const context = given as PaymentContext;
        const { idempotency } = context;
        const row = await insertThrough(await (context.db ??= idempotency.tx<PoolClient>()), idempotency, amount);
        if (throws) throw new Error('payShared threw after writing');
        return row;
      },
      async payKept(_: unknown, { amount, throws }: { amount: number; throws: boolean }, given: object) {
        const context = given as PaymentContext;
        const { idempotency } = context;
        const row = await insertThrough((context.kept ??= await idempotency.tx<PoolClient>()), idempotency, amount);
        if (throws) throw new Error('payKept threw after writing');
        return row;
      },
      async payLate(_: unknown, { amount, throws }: { amount: number; throws: boolean }, context: object) {
        const { idempotency } = context as PaymentContext;
        const tx = await idempotency.tx<PoolClient>();
        let send!: () => void;
        const sent = new Promise<void>((resolve) => (send = resolve));
        control.late = { send, answer: answerOf(sent.then(() => insertThrough(tx, idempotency, amount))) };
        if (throws) throw new Error('payLate threw, its write not sent yet');
        return { id: 0, amount, txid: '' };
      },
      async payAfterLate(_: unknown, { amount }: { amount: number }, context: object) {
        control.late?.send();
        await control.late?.answer;
        return (await insertPayment(context, amount)).row;
      },
    },
  };
}

/** One answer of a server, as the client sees it. */
export interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, { id: number; amount: number; txid: string } | null> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
  };
}

/** A server over `store`'s engine options and `control`; `send` posts one operation (with the key header when given). */
export type Serve = (
  options: IdempotencyOptions & { store: PostgresStore },
  control: PaymentControl,
) => Promise<{ send(query: string, key?: string): Promise<Answer>; close(): Promise<void> }>;

const PAY = 'mutation { pay(amount: 42) { id amount txid } }';

export function txScenarios(serve: Serve): void {
  let database: TestDatabase;
  let store: PostgresStore;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    const pool = database.pool({ max: 60 });
    await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text, amount int NOT NULL)');
    store = createPostgresStore({ pool, cleanupInterval: 0, timeout: 30_000 }); // generous: a busy machine must not turn a claim into a 503
  });
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await database?.drop();
  });
  const start = async (control: PaymentControl, options: IdempotencyOptions = {}) => {
    const server = await serve({ ...options, store }, control);
    closers.push(server.close);
    return server;
  };
  const rows = (key: string) => database.count(`payments WHERE key = '${key}'`);

  it('a keyed mutation writes its row through tx() once; the replay answers the same result and writes nothing', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const first = await send(PAY, key);
    expect(first.body.errors).toBeUndefined();
    const replay = await send(PAY, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.data).toEqual(first.body.data);
    expect(await rows(key)).toBe(1);
  });

  it('40 concurrent duplicates write one row; every answer is the value or a 409', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 40 }, () => send(PAY, key)));
    const codes = answers.map((answer) => answer.body.errors?.[0]?.extensions?.code ?? 'ok');
    expect(codes.filter((code) => code !== 'ok' && code !== 'IDEMPOTENCY_CONCURRENT_REQUEST')).toEqual([]);
    expect(codes).toContain('ok');
    const ids = new Set(answers.filter((answer) => answer.body.data?.pay).map((answer) => answer.body.data!.pay!.id));
    expect(ids.size).toBe(1);
    expect(await rows(key)).toBe(1);
  });

  it('a body that threw after writing leaves no row, and the retry writes one', async () => {
    const control: PaymentControl = { failNext: 1 };
    const { send } = await start(control);
    const key = randomUUID();
    const failed = await send(PAY, key);
    expect(failed.body.errors).toHaveLength(1);
    expect(await rows(key)).toBe(0);
    const retried = await send(PAY, key);
    expect(retried.body.errors).toBeUndefined();
    expect(await rows(key)).toBe(1);
  });

  it('a stale holder whose lease lapsed and was taken over: its row is rolled back, it answers IDEMPOTENCY_LEASE_LOST (503), the taker’s row stands', async () => {
    let written!: () => void;
    let open!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const gate = new Promise<void>((resolve) => (open = resolve));
    const control: PaymentControl = { failNext: 0, hold: { gate, written } };
    // The heartbeat stops after maxRunTime, so the held attempt's lease lapses while it waits.
    const { send } = await start(control, { lease: 200, maxRunTime: 200 });
    const key = randomUUID();
    const stale = send(PAY, key);
    await wrote;
    let taker: Answer;
    for (;;) {
      taker = await send(PAY, key);
      if (taker.body.errors?.[0]?.extensions?.code !== 'IDEMPOTENCY_CONCURRENT_REQUEST') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(taker.body.errors).toBeUndefined();
    open();
    const lost = await stale;
    expect(lost.body.data ?? null).toBeNull();
    expect(lost.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_LEASE_LOST');
    expect(lost.status).toBe(503);
    expect(await rows(key)).toBe(1);
    expect((await send(PAY, key)).body.data).toEqual(taker.body.data);
  });

  it('the root fields of one mutation share the attempt’s one transaction', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const both = await send('mutation { a: pay(amount: 1) { txid } b: pay(amount: 2) { txid } }', key);
    expect(both.body.errors).toBeUndefined();
    const data = both.body.data as Record<string, { txid: string }>;
    expect(data.a!.txid).toBe(data.b!.txid);
    expect(await rows(key)).toBe(2);
  });

  const paid = (key: string | null, amount: number) =>
    database.count(`payments WHERE key ${key === null ? 'IS NULL' : `= '${key}'`} AND amount = ${amount}`);

  it('several root fields, one that threw after writing: its row is rolled back alone, the rows of those that returned commit with the stored partial result, and the replay answers it', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const [a, b, c] = [101, 102, 103];
    const query = `mutation { a: pay(amount: ${a}) { id amount txid } b: payThenThrow(amount: ${b}) { id } c: pay(amount: ${c}) { id amount txid } }`;
    const first = await send(query, key);
    expect(first.body.data?.a).toMatchObject({ amount: a });
    expect(first.body.data?.b).toBeNull();
    expect(first.body.data?.c).toMatchObject({ amount: c });
    expect(first.body.errors?.map((error) => error.path)).toEqual([['b']]);
    expect([await paid(key, a), await paid(key, b), await paid(key, c)]).toEqual([1, 0, 1]);
    const replay = await send(query, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect([replay.body.data, replay.body.errors]).toEqual([first.body.data, first.body.errors]);
    expect([await paid(key, a), await paid(key, b), await paid(key, c)]).toEqual([1, 0, 1]);
  });

  it('several root fields, the first threw after writing: its row is rolled back, the next one’s commits', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const first = await send('mutation { a: payThenThrow(amount: 111) { id } b: pay(amount: 112) { id } }', key);
    expect(first.body.data).toMatchObject({ a: null, b: { id: expect.any(Number) } });
    expect(first.body.errors?.map((error) => error.path)).toEqual([['a']]);
    expect([await paid(key, 111), await paid(key, 112)]).toEqual([0, 1]);
  });

  it('several root fields, one whose statement PostgreSQL refused (the transaction aborted): its row is rolled back, its siblings’ commit', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const query =
      'mutation { a: pay(amount: 121) { id } b: payThenFailSql(amount: 122) { id } c: pay(amount: 123) { id } }';
    const first = await send(query, key);
    expect(first.body.data).toMatchObject({ a: { id: expect.any(Number) }, b: null, c: { id: expect.any(Number) } });
    expect(first.body.errors?.map((error) => error.path)).toEqual([['b']]);
    expect([await paid(key, 121), await paid(key, 122), await paid(key, 123)]).toEqual([1, 0, 1]);
    const replay = await send(query, key);
    expect([replay.body.data, replay.body.errors]).toEqual([first.body.data, first.body.errors]);
    expect([await paid(key, 121), await paid(key, 122), await paid(key, 123)]).toEqual([1, 0, 1]);
  });

  it('several root fields, every one threw after writing: nothing commits, and the retry runs them again', async () => {
    const { send } = await start({ failNext: 0 });
    const key = randomUUID();
    const query = 'mutation { a: payThenThrow(amount: 131) { id } b: payThenThrow(amount: 132) { id } }';
    expect((await send(query, key)).body.errors).toHaveLength(2);
    expect((await send(query, key)).headers.get('idempotent-replayed')).toBeNull();
    expect([await paid(key, 131), await paid(key, 132)]).toEqual([0, 0]);
  });

  // Origin of the next three: an adversarial review of the PostgreSQL store (the savepoint of a root
  // field was set some microtasks after it started, and a late write was judged by the running root field).
  it.each([
    ['payShared', 'one tx() client per request (a memo on the context)'],
    ['payKept', 'the client the first root field kept, written through before any await'],
  ])(
    'several root fields writing through %s (%s): the row of the one that threw is rolled back, the other’s commits',
    async (field) => {
      const { send } = await start({ failNext: 0 });
      const key = randomUUID();
      const answer = await send(
        `mutation { a: ${field}(amount: 171, throws: false) { id } b: ${field}(amount: 172, throws: true) { id } }`,
        key,
      );
      expect(answer.body.data).toMatchObject({ a: { id: expect.any(Number) }, b: null });
      expect(answer.body.errors?.map((error) => error.path)).toEqual([['b']]);
      expect([await paid(key, 171), await paid(key, 172)]).toEqual([1, 0]);
    },
  );

  it.each([true, false])(
    'several root fields, the first sent a write it did not await (then threw: %s), which runs once the next one started: refused (ended), and only the next one’s row commits',
    async (throws) => {
      const control: PaymentControl = { failNext: 0 };
      const { send } = await start(control);
      const key = randomUUID();
      const answer = await send(
        `mutation { a: payLate(amount: 181, throws: ${throws}) { id } b: payAfterLate(amount: 182) { id } }`,
        key,
      );
      expect(answer.body.data).toMatchObject({ a: throws ? null : { id: 0 }, b: { id: expect.any(Number) } });
      expect(await control.late?.answer).toBe('IDEMPOTENCY_TRANSACTION_UNAVAILABLE/ended');
      expect([await paid(key, 181), await paid(key, 182)]).toEqual([0, 1]);
    },
  );

  it('several root fields whose child fields read through tx(): each runs in its root field’s part, and sees its row', async () => {
    const { send } = await start({ failNext: 0 });
    const answer = await send(
      'mutation { a: pay(amount: 191) { stored } b: pay(amount: 192) { stored } }',
      randomUUID(),
    );
    expect(answer.body).toEqual({ data: { a: { stored: true }, b: { stored: true } } });
  });

  it('unkeyed, several root fields: the row of the one that threw is rolled back, the other’s commits', async () => {
    const { send } = await start({ failNext: 0 });
    const answer = await send('mutation { a: pay(amount: 141) { id } b: payThenThrow(amount: 142) { id } }');
    expect(answer.body.data).toMatchObject({ a: { id: expect.any(Number) }, b: null });
    expect([await paid(null, 141), await paid(null, 142)]).toEqual([1, 0]);
  });

  it('unkeyed: tx() is a plain transaction, committed when the body returns and rolled back when it throws', async () => {
    const control: PaymentControl = { failNext: 0 };
    const { send } = await start(control);
    const before = await database.count('payments WHERE key IS NULL');
    expect((await send(PAY)).body.errors).toBeUndefined();
    expect(await database.count('payments WHERE key IS NULL')).toBe(before + 1);
    control.failNext = 1;
    expect((await send(PAY)).body.errors).toHaveLength(1);
    expect(await database.count('payments WHERE key IS NULL')).toBe(before + 1);
  });
}
