/**
 * kill -9 of a Yoga server process on the PostgreSQL store mid-transaction, after its INSERT: the
 * killed instance's row is gone (PostgreSQL aborts its transaction), and the retry to a second
 * process takes over and commits exactly one row (issue #19).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';

const script = fileURLToPath(new URL('./fixtures/postgres-yoga-server.ts', import.meta.url));
let database: TestDatabase;
const children: ChildProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const pool = database.pool({ max: 2 });
  await pool.query(
    'CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL, server text NOT NULL, amount int)',
  );
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await database?.drop();
});

/** A server process; resolves once it listens, with a way to wait for its events. */
async function startServer(name: string, hold: boolean) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, JSON.stringify({ url: database.url, name, leaseMs: 500, hold })],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    waiters.splice(0).forEach((wake) => wake());
  });
  child.once('exit', () => waiters.splice(0).forEach((wake) => wake()));
  async function event(kind: string) {
    for (;;) {
      const found = events.find((each) => each.event === kind);
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before "${kind}"`);
      await new Promise<void>((wake) => waiters.push(wake));
    }
  }
  const { port } = (await event('listening')) as { port: number };
  const pay = async (key: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ query: 'mutation { pay(amount: 5) }' }),
    });
    return (await response.json()) as { data?: { pay: number } | null; errors?: { extensions?: { code?: string } }[] };
  };
  return { child, event, pay };
}

describe('PostgreSQL store: a server process killed mid-transaction', () => {
  let victim: Awaited<ReturnType<typeof startServer>>;
  let survivor: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    [victim, survivor] = await Promise.all([startServer('victim', true), startServer('survivor', false)]);
  }, 120_000); // two tsx processes starting on a busy machine

  it('SIGKILL after its INSERT: its row is gone, and the retry on another process commits exactly one row', async () => {
    const key = randomUUID();
    const inFlight = victim.pay(key).catch((error: unknown) => ({ error }));
    await victim.event('written');
    expect(await database.count(`payments WHERE key = '${key}'`)).toBe(0); // not committed: invisible
    const exited = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await exited;
    expect(await inFlight).toEqual({ error: expect.any(Error) });
    let answer = await survivor.pay(key);
    const deadline = Date.now() + 30_000;
    while (answer.errors?.[0]?.extensions?.code === 'IDEMPOTENCY_CONCURRENT_REQUEST' && Date.now() < deadline) {
      await sleep(100);
      answer = await survivor.pay(key);
    }
    expect(answer.errors, JSON.stringify(answer)).toBeUndefined();
    expect(await database.count(`payments WHERE key = '${key}'`)).toBe(1);
    expect(await database.count(`payments WHERE key = '${key}' AND server = 'survivor'`)).toBe(1);
    expect((await survivor.pay(key)).data).toEqual(answer.data); // replayed, no second row
    expect(await database.count(`payments WHERE key = '${key}'`)).toBe(1);
  }, 60_000);
});
