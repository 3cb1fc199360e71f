import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { freePort } from '../../support/free-port.js';
import { createTestDatabase } from '../../support/postgres-database.js';
import { processExists } from '../../support/playground/http.js';
import { spawnPlayground, type SpawnedPlayground } from '../../support/playground/spawn-playground.js';

const URL_LINE =
  /^Playground: (http:\/\/127\.0\.0\.1:(\d+)\/) {2}\(store: (memory|redis|postgres)(?:, schema (playground_[0-9a-f]{8}))?\)$/m;
/** No store chosen by the environment this test runs in. */
const NO_STORE = { REDIS_URL: '', DATABASE_URL: '' };

describe('npm run playground (tsx playground/server.ts)', () => {
  const running: SpawnedPlayground[] = [];
  let blocker: Server | undefined;
  afterEach(async () => {
    await Promise.all(running.splice(0).map((playground) => playground.stop()));
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  function start(env: Record<string, string>): SpawnedPlayground {
    const playground = spawnPlayground(env);
    running.push(playground);
    return playground;
  }

  it('prints its URL and store (memory without REDIS_URL or DATABASE_URL), serves the page, and exits cleanly on SIGTERM, taking instance A with it', async () => {
    const port = await freePort();
    const playground = start({ PORT: String(port), ...NO_STORE });
    const [, url, printedPort, store] = await playground.waitFor(URL_LINE);
    expect([Number(printedPort), store]).toEqual([port, 'memory']);

    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Idempotency playground');
    expect(await (await fetch(new URL('/api/state', url))).json()).toMatchObject({ store: 'memory' });
    const prepared = await (await fetch(new URL('/api/crash/prepare', url), { method: 'POST' })).json();
    const instanceA = prepared.instances.a.pid as number;
    expect(processExists(instanceA)).toBe(true);
    expect(await playground.stop()).toBe(0);
    await vi.waitFor(() => expect(processExists(instanceA)).toBe(false));
  });

  it('uses Redis when REDIS_URL is set, and says so', async () => {
    const playground = start({ ...NO_STORE, PORT: '0', REDIS_URL: inject('redisUrl') });
    const [, url, , store] = await playground.waitFor(URL_LINE);
    expect(store).toBe('redis');
    expect(await (await fetch(new URL('/api/state', url))).json()).toMatchObject({ store: 'redis' });
  });

  it('uses PostgreSQL when DATABASE_URL is set, in a schema of its own that it names and drops on SIGTERM', async () => {
    const database = await createTestDatabase();
    try {
      const playground = start({ ...NO_STORE, PORT: '0', DATABASE_URL: database.url });
      const [, url, , store, schema] = await playground.waitFor(URL_LINE);
      expect(store).toBe('postgres');
      expect(await (await fetch(new URL('/api/state', url))).json()).toMatchObject({ store: 'postgres' });
      expect(await database.count(`"${schema}".charges`)).toBe(0);
      expect(await playground.stop()).toBe(0);
      const { rows } = await database.pool().query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(rows).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it('exits with status 1 and a clear message when REDIS_URL and DATABASE_URL are both set', async () => {
    const playground = start({ PORT: '0', REDIS_URL: inject('redisUrl'), DATABASE_URL: 'postgres://127.0.0.1/test' });
    expect(await playground.exited).toBe(1);
    expect(playground.output()).toContain(
      'Playground could not start: Choose one store: Redis (redisUrl, REDIS_URL) or PostgreSQL (databaseUrl, DATABASE_URL), not both',
    );
  });

  it('falls back to a free port, with a clear message, when PORT is taken', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const taken = typeof address === 'object' && address ? address.port : -1;

    const playground = start({ PORT: String(taken), ...NO_STORE });
    const [, url, printedPort] = await playground.waitFor(URL_LINE);

    expect(playground.output()).toContain(
      `Port ${taken} is already in use; starting on a free port instead (set PORT to choose another).`,
    );
    expect(Number(printedPort)).not.toBe(taken);
    expect((await fetch(url!)).status).toBe(200);
  });

  it('exits with status 1 and a clear message when Redis cannot be reached', async () => {
    const deadPort = await freePort();
    const playground = start({ ...NO_STORE, PORT: '0', REDIS_URL: `redis://127.0.0.1:${deadPort}` });
    expect(await playground.exited).toBe(1);
    expect(playground.output()).toContain(
      `Playground could not start: Cannot reach Redis at redis://127.0.0.1:${deadPort}`,
    );
  });
});
