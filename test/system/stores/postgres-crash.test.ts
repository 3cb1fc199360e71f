import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, PostgresCommitUnknownError, type PostgresStore } from '../../../src/stores/postgres.js';
import { beginRequest } from '../../support/stores/store-contract.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { startPostgresProxy, type PostgresProxy } from '../../support/postgres-proxy.js';
import { startPostgresServer, type PostgresServer } from '../../support/postgres-server.js';

const HOUR = 3_600_000;
const holderScript = fileURLToPath(new URL('./fixtures/postgres-holder.ts', import.meta.url));

let server: PostgresServer;
let database: TestDatabase;
let store: PostgresStore;

beforeAll(async () => {
  server = await startPostgresServer();
  database = await createTestDatabase(server.url);
  const pool = database.pool({ max: 5 });
  await pool.query('CREATE TABLE payments (id serial PRIMARY KEY, key text NOT NULL, attempt text NOT NULL)');
  store = createPostgresStore({ pool, cleanupInterval: 0 });
});
afterAll(async () => {
  await database?.drop();
  await server?.stop();
});

const rows = (where: string, value: string) => database.count(`payments WHERE ${where} = '${value}'`);

/** A holder process (plain node with the tsx loader, so signals reach the process running the store). */
function startHolder(id: string, owner: string, options: { leaseMs: number; idleInTransactionTimeout: number }) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', holderScript, JSON.stringify({ url: database.url, id, owner, ...options })],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    waiters.splice(0).forEach((wake) => wake());
  });
  /** The first event named `name`, once it arrives. */
  async function event(name: string): Promise<Record<string, unknown>> {
    for (;;) {
      const found = events.find((entry) => entry.event === name);
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`holder exited (${child.exitCode}) before "${name}"`);
      await new Promise<void>((wake) => waiters.push(wake));
    }
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, event, exited };
}

/** Begins as `owner` until the holder's lease lapsed and the record is taken over. */
async function takeOver(id: string, owner: string) {
  for (;;) {
    const outcome = await store.begin(beginRequest(id, owner));
    if (outcome.status !== 'running') return outcome;
    await sleep(Math.min(outcome.leaseRemainingMs, 200));
  }
}

/** The taker's attempt: write its row and commit it with its result through the store's transaction. */
async function writeAndCommit(id: string, owner: string): Promise<boolean> {
  const tx = await store.openTransaction({ id, owner });
  await tx.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, owner]);
  return tx.commit(JSON.stringify(owner), HOUR);
}

describe('postgres store under crashes: writes through the transaction commit at most once', () => {
  it('a holder killed with SIGKILL after writing its row, before its commit: its row is gone, the retry takes over (fence 2) and commits one row', async () => {
    const [id, holderOwner, taker] = [randomUUID(), randomUUID(), randomUUID()];
    const holder = startHolder(id, holderOwner, { leaseMs: 500, idleInTransactionTimeout: 60_000 });
    const { pid } = await holder.event('written');
    holder.child.kill('SIGKILL');
    await holder.exited;
    // The server aborts the dead client's transaction as soon as it sees the connection close.
    const watcher = database.pool({ max: 1 });
    while ((await watcher.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount) await sleep(50);
    expect(await rows('attempt', holderOwner)).toBe(0);
    await expect(takeOver(id, taker)).resolves.toEqual({ status: 'acquired', fence: 2, takeover: true });
    await expect(writeAndCommit(id, taker)).resolves.toBe(true);
    expect(await rows('key', id)).toBe(1);
    expect(await rows('attempt', taker)).toBe(1);
  });

  it('a holder frozen with SIGSTOP past its lease, then resumed: its commit answers false and its row never appears; the taker’s does', async () => {
    const [id, holderOwner, taker] = [randomUUID(), randomUUID(), randomUUID()];
    const holder = startHolder(id, holderOwner, { leaseMs: 500, idleInTransactionTimeout: 60_000 });
    await holder.event('written');
    holder.child.kill('SIGSTOP');
    try {
      await expect(takeOver(id, taker)).resolves.toEqual({ status: 'acquired', fence: 2, takeover: true });
      await expect(writeAndCommit(id, taker)).resolves.toBe(true);
    } finally {
      holder.child.kill('SIGCONT');
    }
    holder.child.stdin!.end('commit\n');
    await expect(holder.event('committed')).resolves.toMatchObject({ committed: false });
    await holder.exited;
    expect(await rows('attempt', holderOwner)).toBe(0);
    expect(await rows('attempt', taker)).toBe(1);
    expect(await rows('key', id)).toBe(1);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
      status: 'completed',
      result: JSON.stringify(taker),
    });
  });

  it('a server process killed with SIGKILL while its transaction holds the written row: the commit resolves false, the retry writes one row', async () => {
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    const tx = await store.openTransaction({ id, owner });
    await tx.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, owner]);
    process.kill((tx.client as unknown as { processID: number }).processID, 'SIGKILL'); // the postmaster restarts every backend
    await expect(tx.commit('"first"', HOUR)).resolves.toBe(false);
    expect(await rows('key', id)).toBe(0);
    const retry = randomUUID();
    await expect(store.begin(beginRequest(id, retry))).resolves.toEqual({
      status: 'acquired',
      fence: 2,
      takeover: false,
    });
    await expect(writeAndCommit(id, retry)).resolves.toBe(true);
    expect(await rows('key', id)).toBe(1);
  });

  it('the COMMIT is lost and the database stays unreachable: the commit rejects with a retryable PostgresCommitUnknownError, and the retry after the lease writes one row', async () => {
    const blip = await startPostgresProxy({ host: '127.0.0.1', port: server.port });
    const pool = database.pool({ connectionString: blip.url(database.name), max: 2 });
    const cut = createPostgresStore({ pool, timeout: 300, idleInTransactionTimeout: 300, cleanupInterval: 0 });
    const [id, owner] = [randomUUID(), randomUUID()];
    await cut.begin(beginRequest(id, owner, { leaseMs: 500 }));
    const tx = await cut.openTransaction({ id, owner });
    await tx.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, owner]);
    void blip.lose('drop-request', /COMMIT$/).then(() => blip.close()); // and nothing answers any more
    const unknown = await tx.commit('"lost"', HOUR).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(PostgresCommitUnknownError);
    expect(unknown).toMatchObject({ retryable: true, code: 'IDEMPOTENCY_COMMIT_OUTCOME_UNKNOWN' });
    expect(await rows('key', id)).toBe(0);
    const retry = randomUUID();
    await expect(takeOver(id, retry)).resolves.toEqual({ status: 'acquired', fence: 2, takeover: true });
    await expect(writeAndCommit(id, retry)).resolves.toBe(true);
    expect(await rows('key', id)).toBe(1);
  });

  describe('through a proxy that loses the conversation around COMMIT', () => {
    let proxy: PostgresProxy;
    let proxied: PostgresStore;
    beforeAll(async () => {
      proxy = await startPostgresProxy({ host: '127.0.0.1', port: server.port });
      const pool = database.pool({ connectionString: proxy.url(database.name), max: 3 });
      proxied = createPostgresStore({ pool, cleanupInterval: 0 });
    });
    afterAll(() => proxy.close());

    /** One client attempt through the proxy: begin, write, commit; `fault` armed before the commit. */
    async function attempt(id: string, fault?: 'drop-reply' | 'drop-request') {
      const owner = randomUUID();
      const outcome = await proxied.begin(beginRequest(id, owner));
      if (outcome.status !== 'acquired') return outcome;
      const tx = await proxied.openTransaction({ id, owner });
      await tx.client.query('INSERT INTO payments (key, attempt) VALUES ($1, $2)', [id, owner]);
      const lost = fault && proxy.lose(fault, /COMMIT$/);
      const committed = await tx.commit(JSON.stringify(owner), HOUR);
      await lost;
      return { status: 'committed', committed, owner } as const;
    }

    it('the reply to COMMIT is dropped after the server committed: the commit resolves true through the record; the client’s retry replays, one row', async () => {
      const id = randomUUID();
      const first = await attempt(id, 'drop-reply');
      expect(first).toMatchObject({ status: 'committed', committed: true });
      expect(await rows('key', id)).toBe(1);
      const retry = await attempt(id);
      expect(retry).toEqual({ status: 'completed', result: JSON.stringify((first as { owner: string }).owner) });
      expect(await rows('key', id)).toBe(1);
    });

    it('the COMMIT never reaches the server: the commit resolves false (aborted) and frees the record; the client’s retry commits one row', async () => {
      const id = randomUUID();
      await expect(attempt(id, 'drop-request')).resolves.toMatchObject({ committed: false });
      expect(await rows('key', id)).toBe(0);
      const retry = await attempt(id);
      expect(retry).toMatchObject({ status: 'committed', committed: true });
      expect(await rows('key', id)).toBe(1);
    });
  });
});
