import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPlayground, type Playground } from '../../playground/start.js';
import { connectRedis, uniquePrefix } from '../support/redis-client.js';

const chargeMutation = (key: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
  body: JSON.stringify({ query: 'mutation { createCharge(amountCents: 1250, description: "Tea") { id amountCents } }' }),
});

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe.each([
  { store: 'memory', redisUrl: undefined },
  { store: 'redis', redisUrl: inject('redisUrl') },
] as const)('startPlayground on the $store store', ({ store, redisUrl }) => {
  const redisPrefix = uniquePrefix('playground');
  let playground: Playground;

  beforeAll(async () => {
    playground = await startPlayground({ port: 0, redisUrl, redisPrefix });
  });
  afterAll(() => playground?.close());
  afterEach(async () => {
    expect((await fetch(new URL('/api/reset', playground.url), { method: 'POST' })).status).toBe(200);
  });

  it('serves the page, its stylesheet and its bundled script', async () => {
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
    expect((await fetch(new URL('/nothing-here', playground.url))).status).toBe(404);
  });

  it('reports its store and default switches at /api/state', async () => {
    const state = await (await fetch(new URL('/api/state', playground.url))).json();
    expect(state).toEqual({ store, settings: { flaky: false, idempotency: true }, counters: { requests: 0, lostResponses: 0, replayed: 0 }, charges: [] });
  });

  it('with the flaky switch on, runs the mutation but loses the first response to a key; the retry is replayed', async () => {
    expect((await postJson(new URL('/api/settings', playground.url).href, { flaky: true })).status).toBe(200);
    const graphql = new URL('/graphql', playground.url).href;

    await expect(fetch(graphql, chargeMutation('lost-once'))).rejects.toThrow('fetch failed');
    expect(playground.demo.ledger.list()).toHaveLength(1);

    const retry = await fetch(graphql, chargeMutation('lost-once'));
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual({ data: { createCharge: { id: 'ch_1', amountCents: 1250 } }, extensions: { idempotency: { replayed: true } } });
    expect(playground.demo.ledger.list()).toHaveLength(1);
    expect(playground.demo.counters).toEqual({ requests: 2, lostResponses: 1, replayed: 1 });
    expect(playground.demo.ledger.list()[0]).toMatchObject({ channel: 'graphql', requestKey: 'lost-once', description: 'Tea' });
  });

  it('with idempotency off, routes to the unprotected API: the same key charges again', async () => {
    expect((await postJson(new URL('/api/settings', playground.url).href, { flaky: false, idempotency: false })).status).toBe(200);
    const trpc = new URL('/trpc/payments.create', playground.url).href;
    const send = () =>
      fetch(trpc, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': '"twice"' }, body: JSON.stringify({ amountCents: 300, description: 'Bread' }) });

    const first = await send();
    const second = await send();

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(playground.demo.ledger.list().map((charge) => charge.requestKey)).toEqual(['twice', 'twice']);
    expect(playground.demo.counters).toEqual({ requests: 2, lostResponses: 0, replayed: 0 });
    expect((await postJson(new URL('/api/settings', playground.url).href, { idempotency: true })).status).toBe(200);
  });

  it('rejects a switch that is not true or false, and changes nothing', async () => {
    const answer = await postJson(new URL('/api/settings', playground.url).href, { flaky: 'yes' });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: 'flaky must be true or false' });
    expect(playground.demo.settings()).toEqual({ flaky: false, idempotency: true });
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
});
