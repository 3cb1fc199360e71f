import type { IncomingMessage } from 'node:http';
import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { idempotency } from '../../../src/trpc/index.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createProbe } from '../../support/servers/trpc/probe.js';
import { createTestRouter, type TestContext, type TestRouter } from '../../support/servers/trpc/router.js';
import { startExpressServer, startFetchServer, startStandaloneServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();
const store = () => createRedisStore({ redis, prefix: uniquePrefix('trpc-fetch') });

describe('idempotency() over the fetch adapter', () => {
  it('reads the key from ctx.req (a fetch Request) and sets headers through ctx.resHeaders', async () => {
    const app = createTestRouter({ store: store() });
    const { url } = await startFetchServer(app.router);
    const { client, exchanges } = createTestClient<TestRouter>({ url, user: 'alice' });

    const first = await client.pay.mutate({ amount: 4 }, { context: { idempotencyKey: 'fetch-1' } });
    const second = await client.pay.mutate({ amount: 4 }, { context: { idempotencyKey: 'fetch-1' } });
    const held = app.probe.hold();
    const running = client.slow.mutate({ amount: 4 }, { context: { idempotencyKey: 'fetch-2' } });
    await held.started;
    const conflict = await rejection(client.slow.mutate({ amount: 4 }, { context: { idempotencyKey: 'fetch-2' } }));
    held.release();
    await running;

    expect(app.probe.runs('pay')).toBe(1);
    expect(second).toEqual(first);
    expect(second.cents).toBe(400n);
    expect(conflict.data?.code).toBe('CONFLICT');
    expect(
      exchanges.map((exchange) => [
        exchange.path,
        exchange.status,
        exchange.headers?.get('idempotent-replayed'),
        exchange.headers?.get('retry-after'),
      ]),
    ).toEqual([
      ['pay', 200, null, null],
      ['pay', 200, 'true', null],
      ['slow', 200, null, null],
      ['slow', 409, null, '1'],
    ]);
  });
});

describe('idempotency() over the Express adapter', () => {
  it('reads the key from ctx.req and sets the replayed header on ctx.res', async () => {
    const app = createTestRouter({ store: store() });
    const { url } = await startExpressServer(app.router);
    const { client, exchanges } = createTestClient<TestRouter>({ url, user: 'alice' });

    const first = await client.pay.mutate({ amount: 6 }, { context: { idempotencyKey: 'express-1' } });
    const second = await client.pay.mutate({ amount: 6 }, { context: { idempotencyKey: 'express-1' } });
    const mismatch = await rejection(client.pay.mutate({ amount: 60 }, { context: { idempotencyKey: 'express-1' } }));

    expect(app.probe.runs('pay')).toBe(1);
    expect(second).toEqual(first);
    expect(second.ledger).toEqual(new Map([[6, 'charged']]));
    expect(mismatch.data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [200, null],
      [200, 'true'],
      [422, null],
    ]);
  });
});

describe('idempotency() with concurrent: { wait }', () => {
  it('lets a concurrent duplicate wait and answers it with the identical result', async () => {
    const app = createTestRouter({ store: store(), concurrent: { wait: 20_000 } });
    const server = await startStandaloneServer(app.router);
    const { client, exchanges } = createTestClient<TestRouter>({ url: server.url, user: 'alice' });

    const held = app.probe.hold();
    const first = client.slow.mutate({ amount: 8 }, { context: { idempotencyKey: 'wait-1' } });
    await held.started;
    const duplicates = [1, 2].map(() => client.slow.mutate({ amount: 8 }, { context: { idempotencyKey: 'wait-1' } }));
    await expect.poll(() => exchanges.length).toBe(3);
    held.release();
    const results = await Promise.all([first, ...duplicates]);

    expect(app.probe.runs('slow')).toBe(1);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[2]?.at).toBeInstanceOf(Date);
    expect(exchanges.map((exchange) => exchange.headers?.get('idempotent-replayed')).sort()).toEqual([
      null,
      'true',
      'true',
    ]);
  });
});

describe('idempotency() with getKey', () => {
  it('takes the key from wherever getKey finds it, as one more carrier: the header is still read and must agree', async () => {
    const probe = createProbe();
    const t = initTRPC.context<TestContext>().create();
    const idempotent = idempotency<TestContext>({
      store: store(),
      scope: false,
      getKey: ({ ctx }) => (ctx.req as IncomingMessage).headers['x-connection-key'],
    });
    const router = t.router({
      touch: t.procedure.use(idempotent).mutation(() => {
        probe.ran('touch');
        return probe.runs('touch');
      }),
    });
    const server = await startStandaloneServer(router);
    const call = (headers: Record<string, string>) =>
      fetch(`${server.url}/touch`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });

    const first = await call({ 'x-connection-key': 'c-1' });
    const repeat = await call({ 'x-connection-key': 'c-1' });
    const headerOnly = await call({ 'idempotency-key': 'c-1' });
    const disagreeing = await call({ 'x-connection-key': 'c-1', 'idempotency-key': 'c-2' });

    expect([first.status, repeat.status, headerOnly.status, disagreeing.status]).toEqual([200, 200, 200, 400]);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    // The header alone carries the same key: the same record, replayed (getKey never makes a header ignored).
    expect(headerOnly.headers.get('idempotent-replayed')).toBe('true');
    expect(probe.runs('touch')).toBe(1);
  });
});
