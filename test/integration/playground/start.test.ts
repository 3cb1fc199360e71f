import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startPlayground, type Playground } from '../../../playground/start.js';
import { SETTINGS_HEADER } from '../../../playground/settings.js';
import { defaultTiming } from '../../../playground/timing.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres-database.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { pay, postJson, processExists, type PaymentAnswer } from '../../support/playground/http.js';

const chargeMutation = (key: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"`, ...headers },
  body: JSON.stringify({
    query: 'mutation { createCharge(amountCents: 1250, description: "Tea") { id amountCents } }',
  }),
});

const zeroCounters = { requests: 0, lostResponses: 0, replayed: 0, conflicts: 0, mismatches: 0, takeovers: 0 };

describe.each([
  { store: 'memory', redisUrl: undefined, cluster: '/cluster/graphql' },
  { store: 'redis', redisUrl: inject('redisUrl'), cluster: '/cluster/trpc' },
  { store: 'postgres', redisUrl: undefined, cluster: '/cluster/graphql' },
] as const)('startPlayground on the $store store', ({ store, redisUrl, cluster }) => {
  const redisPrefix = uniquePrefix('playground');
  let playground: Playground;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    if (store === 'postgres') database = await createTestDatabase();
    playground = await startPlayground({ port: 0, redisUrl, redisPrefix, databaseUrl: database?.url });
  });
  afterAll(async () => {
    await playground?.close();
    await database?.drop();
  });
  afterEach(async () => {
    expect((await postJson(playground.url, '/api/reset')).status).toBe(200);
  });

  it('serves the page, its stylesheet, its bundled script and its icon', async () => {
    expect(playground.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(playground.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
    const script = await fetch(new URL('/app.js', playground.url));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await script.text();
    expect(code).toContain('createIdempotentFetch');
    expect(code).toContain('idempotencyLink');
    expect(code).not.toMatch(/^import /m); // bundled: nothing left for the browser to resolve
    expect((await fetch(new URL('/styles.css', playground.url))).status).toBe(200);
    for (const path of ['/favicon.ico', '/favicon.svg']) {
      const icon = await fetch(new URL(path, playground.url));
      expect(icon.status, path).toBe(200);
      expect(icon.headers.get('content-type'), path).toBe('image/svg+xml');
      expect(await icon.text(), path).toContain('<svg');
    }
    expect((await fetch(new URL('/nothing-here', playground.url))).status).toBe(404);
  });

  it('reports its store, timing, counters, ledger, server log and instances at /api/state', async () => {
    const state = await (await fetch(new URL('/api/state', playground.url))).json();
    expect(state).toEqual({
      store,
      timing: defaultTiming,
      counters: zeroCounters,
      charges: [],
      serverLog: [],
      instances: { a: { state: 'off' }, b: { pid: process.pid } },
    });
  });

  it('with the flaky switch on, runs the mutation but loses the first response to a key; the retry is replayed', async () => {
    const graphql = new URL('/graphql', playground.url).href;
    const flaky = { [SETTINGS_HEADER]: JSON.stringify({ flaky: true }) };

    await expect(fetch(graphql, chargeMutation('lost-once', flaky))).rejects.toThrow('fetch failed');
    expect(await playground.demo.ledger.list()).toHaveLength(1);

    const retry = await fetch(graphql, chargeMutation('lost-once', flaky));
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual({
      data: { createCharge: { id: 'ch_1', amountCents: 1250 } },
      extensions: { idempotency: { replayed: true } },
    });
    expect(await playground.demo.ledger.list()).toHaveLength(1);
    expect(playground.demo.counters).toEqual({ ...zeroCounters, requests: 2, lostResponses: 1, replayed: 1 });
    expect((await playground.demo.ledger.list())[0]).toMatchObject({
      channel: 'graphql',
      requestKey: 'lost-once',
      description: 'Tea',
      fence: 1,
      writes: [{ instance: 'B', fence: 1 }],
    });
    expect(playground.demo.serverLog.list().map((event) => event.kind)).toEqual(['charged', 'lost', 'replayed']);
  });

  it('with idempotency off, routes to the unprotected API: the same key charges again', async () => {
    const settings = { idempotency: false };
    const first = await pay(playground.url, { api: '/trpc', key: 'twice', amountCents: 300, settings });
    const second = await pay(playground.url, { api: '/trpc', key: 'twice', amountCents: 300, settings });

    expect([first, second]).toMatchObject([
      { status: 200, replayed: false, charge: { id: 'ch_1', fence: null } },
      { status: 200, replayed: false, charge: { id: 'ch_2', fence: null } },
    ]);
    expect((await playground.demo.ledger.list()).map((charge) => charge.requestKey)).toEqual(['twice', 'twice']);
    expect(playground.demo.counters).toEqual({ ...zeroCounters, requests: 2 });
  });

  it.each(['/graphql', '/trpc'])(
    'a double click through %s: the second request gets 409 with Retry-After; one charge',
    async (api) => {
      const first = pay(playground.url, { api, key: 'double', amountCents: 500 });
      await sleep(100);
      const second = await pay(playground.url, { api, key: 'double', amountCents: 500 });
      expect(second).toMatchObject({ status: 409, retryAfter: '1', code: 'IDEMPOTENCY_CONCURRENT_REQUEST' });
      expect(await first).toMatchObject({ status: 200, charge: { id: 'ch_1', fence: 1 } });
      expect(await pay(playground.url, { api, key: 'double', amountCents: 500 })).toMatchObject({
        status: 200,
        replayed: true,
        charge: { id: 'ch_1' },
      });
      expect(await playground.demo.ledger.list()).toHaveLength(1);
      expect(playground.demo.counters).toMatchObject({ requests: 3, conflicts: 1, replayed: 1 });
    },
  );

  it.each(['/graphql', '/trpc'])(
    'a double click through %s with Wait on: the second request waits and gets the replay',
    async (api) => {
      const settings = { wait: true };
      const first = pay(playground.url, { api, key: 'double-wait', amountCents: 500, settings });
      await sleep(100);
      const second = await pay(playground.url, { api, key: 'double-wait', amountCents: 500, settings });
      expect(await first).toMatchObject({ status: 200, replayed: false, charge: { id: 'ch_1' } });
      expect(second).toMatchObject({ status: 200, replayed: true, charge: { id: 'ch_1' } });
      expect(playground.demo.counters).toMatchObject({ requests: 2, conflicts: 0, replayed: 1 });
    },
  );

  it.each(['/graphql', '/trpc'])(
    'a key reused through %s with another amount gets 422 and charges nothing',
    async (api) => {
      expect(await pay(playground.url, { api, key: 'reused', amountCents: 500 })).toMatchObject({ status: 200 });
      expect(await pay(playground.url, { api, key: 'reused', amountCents: 600 })).toMatchObject({
        status: 422,
        code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
      });
      expect((await playground.demo.ledger.list()).map((charge) => charge.amountCents)).toEqual([500]);
      expect(playground.demo.counters).toMatchObject({ requests: 2, mismatches: 1 });
    },
  );

  it(`crash through ${cluster} with the default timing: instance A (a child process) charges, is killed with SIGKILL; B answers 409, then takes over with fence 2`, async () => {
    const api = cluster;
    const answer = await postJson(playground.url, '/api/crash/prepare');
    const prepared = await answer.json();
    expect(answer.status, JSON.stringify(prepared)).toBe(200);
    const pid = prepared.instances.a.pid as number;
    expect(prepared.instances.a).toMatchObject({ state: 'in-rotation', pid: expect.any(Number) });
    expect(pid).not.toBe(process.pid);
    expect(processExists(pid)).toBe(true);

    const started = Date.now();
    expect(await pay(playground.url, { api, key: `crash${api}`, amountCents: 700 })).toEqual({ lost: true });
    await vi.waitFor(() => expect(processExists(pid)).toBe(false)); // really gone: SIGKILL
    const answers: PaymentAnswer[] = [];
    for (;;) {
      const answer = await pay(playground.url, { api, key: `crash${api}`, amountCents: 700 });
      answers.push(answer);
      if (answer.lost || answer.status !== 409) break;
      await sleep(500);
    }
    expect(answers.length).toBeGreaterThan(1);
    expect(answers.slice(0, -1).every((answer) => !answer.lost && answer.status === 409)).toBe(true);
    // On PostgreSQL, A's charge (ch_1) died uncommitted in its store transaction: B's is the only row.
    const charge =
      store === 'postgres'
        ? { id: 'ch_2', amountCents: 700, fence: 2, writes: [{ instance: 'B', fence: 2, takeover: true }] }
        : {
            id: 'ch_1',
            amountCents: 700,
            fence: 2,
            writes: [
              { instance: 'A', fence: 1, takeover: false },
              { instance: 'B', fence: 2, takeover: true },
            ],
          };
    expect(answers.at(-1)).toMatchObject({ status: 200, replayed: false, charge: { id: charge.id, fence: 2 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(defaultTiming.leaseMs); // B waited out A's lease
    expect(await playground.demo.ledger.list()).toMatchObject([charge]);
    if (database) expect(await database.count(`"${playground.postgresSchema}".charges`)).toBe(1);
    expect(playground.demo.counters).toMatchObject({ takeovers: 1, conflicts: answers.length - 1 });
    const log = playground.demo.serverLog.list().map((event) => `${event.instance}:${event.kind}`);
    expect(log.slice(0, log.indexOf('A:no-answer') + 1)).toEqual(
      store === 'postgres'
        ? ['A:in-rotation', 'A:charged', 'A:stuck', 'A:killed', 'A:rolled-back', 'A:no-answer']
        : ['A:in-rotation', 'A:charged', 'A:stuck', 'A:killed', 'A:no-answer'],
    );
    expect(log.slice(-2)).toEqual([store === 'postgres' ? 'B:charged' : 'B:rewrote', 'B:answered']);
    expect(await pay(playground.url, { api, key: `crash${api}`, amountCents: 700 })).toMatchObject({
      status: 200,
      replayed: true,
      charge: { fence: 2 },
    });
  }, 20_000);

  it.each([
    ['{"flaky":"yes"}', 'flaky must be true or false'],
    ['not json', `${SETTINGS_HEADER} must be a JSON object`],
    ['[true]', `${SETTINGS_HEADER} must be a JSON object`],
  ])('refuses a payment whose switches header is %s with 400, before any API runs', async (header, error) => {
    const answer = await fetch(
      new URL('/graphql', playground.url),
      chargeMutation('bad-switches', { [SETTINGS_HEADER]: header }),
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error });
    expect(await playground.demo.ledger.list()).toEqual([]);
    expect(playground.demo.counters).toEqual(zeroCounters);
  });

  it('keeps no switches between requests: one with idempotency off leaves the next one protected', async () => {
    const unprotected = await pay(playground.url, {
      api: '/graphql',
      key: 'off-once',
      amountCents: 300,
      settings: { idempotency: false },
    });
    expect(unprotected).toMatchObject({ status: 200, charge: { fence: null } });
    expect(await pay(playground.url, { api: '/graphql', key: 'on-again', amountCents: 300 })).toMatchObject({
      status: 200,
      charge: { fence: 1 },
    });
  });
});

describe('startPlayground with redisUrl', () => {
  const redisPrefix = uniquePrefix('playground');
  let playground: Playground;
  beforeAll(async () => {
    playground = await startPlayground({ port: 0, redisUrl: inject('redisUrl'), redisPrefix });
  });
  afterAll(() => playground?.close());

  it('keeps idempotency records in Redis under its prefix, named by hashes', async () => {
    const redis = connectRedis();
    expect(await redis.keys(`${redisPrefix}*`)).toEqual([]);
    expect((await fetch(new URL('/graphql', playground.url), chargeMutation('in-redis'))).status).toBe(200);
    const keys = await redis.keys(`${redisPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${redisPrefix}\\{[0-9a-f]{64}\\}$`));
  });
});

describe('startPlayground with databaseUrl', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  const schemaExists = async (schema: string) =>
    (await database.pool({ max: 1 }).query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;

  it('keeps records and charges in a schema of its own per run; reset empties both tables, close drops the schema', async () => {
    const [first, second] = await Promise.all([
      startPlayground({ port: 0, databaseUrl: database.url }),
      startPlayground({ port: 0, databaseUrl: database.url }),
    ]);
    const schema = first.postgresSchema!;
    try {
      expect(schema).toMatch(/^playground_[0-9a-f]{8}$/);
      expect(second.postgresSchema).not.toBe(schema);
      expect((await fetch(new URL('/graphql', first.url), chargeMutation('in-postgres'))).status).toBe(200);
      expect(await database.count(`"${schema}".charges`)).toBe(1);
      expect(await database.count(`"${schema}".idempotency_records`)).toBe(1);
      expect(await database.count(`"${second.postgresSchema}".charges`)).toBe(0); // parallel runs share no row

      expect((await postJson(first.url, '/api/reset')).status).toBe(200);
      expect(await database.count(`"${schema}".charges`)).toBe(0);
      expect(await database.count(`"${schema}".idempotency_records`)).toBe(0);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    expect(await schemaExists(schema)).toBe(false);
    expect(await schemaExists(second.postgresSchema!)).toBe(false);
  });
});

describe('closing the playground', () => {
  it('kills instance A', async () => {
    const playground = await startPlayground({ port: 0 });
    const answer = await postJson(playground.url, '/api/crash/prepare');
    const prepared = await answer.json();
    expect(answer.status, JSON.stringify(prepared)).toBe(200);
    const pid = prepared.instances.a.pid as number;
    expect(processExists(pid)).toBe(true);
    await playground.close();
    await vi.waitFor(() => expect(processExists(pid)).toBe(false));
  });
});

describe('startPlayground errors', () => {
  let blocker: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve())));

  it('rejects with EADDRINUSE when the port is taken', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : -1;
    await expect(startPlayground({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('rejects with a clear message when Redis cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `redis://127.0.0.1:${typeof address === 'object' && address ? address.port : -1}`;
    await expect(startPlayground({ port: 0, redisUrl: url })).rejects.toThrow(`Cannot reach Redis at ${url}`);
  });

  it('rejects with a clear message when PostgreSQL cannot be reached, its password hidden', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = typeof address === 'object' && address ? address.port : -1;
    const failure = startPlayground({ port: 0, databaseUrl: `postgres://postgres:secret@127.0.0.1:${port}/test` });
    await expect(failure).rejects.toThrow(
      `Cannot reach PostgreSQL at postgres://postgres:***@127.0.0.1:${port}/test: `,
    );
    await expect(failure).rejects.not.toThrow('secret');
  });

  it('rejects redisUrl and databaseUrl together', async () => {
    await expect(
      startPlayground({ port: 0, redisUrl: inject('redisUrl'), databaseUrl: 'postgres://127.0.0.1/test' }),
    ).rejects.toThrow(
      'Choose one store: Redis (redisUrl, REDIS_URL) or PostgreSQL (databaseUrl, DATABASE_URL), not both',
    );
  });

  it('rejects a timing that is not a whole number of milliseconds', async () => {
    await expect(startPlayground({ port: 0, timing: { leaseMs: 0 } })).rejects.toThrow(
      'timing.leaseMs must be a whole number of milliseconds ≥ 1, got 0',
    );
  });
});
