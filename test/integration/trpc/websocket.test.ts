import { describe, expect, it } from 'vitest';
import type { IdempotencyEventType } from '../../../src/core/events.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createWsTestClient, rejection, type WsTestClientOptions } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestRouter, type TestRouterOptions } from '../../support/servers/trpc/router.js';
import { startWebSocketServer } from '../../support/servers/trpc/servers.js';

const redis = connectRedis();

/** The test router over WebSocket; `events` lists the engine's events, since no response header exists here. */
async function serve(options: Partial<TestRouterOptions> = {}) {
  const events: IdempotencyEventType[] = [];
  const store = createRedisStore({ redis, prefix: uniquePrefix('trpc-ws') });
  const app = createTestRouter({ store, onEvent: (event) => events.push(event.type), ...options });
  const { url } = await startWebSocketServer(app.router);
  return {
    probe: app.probe,
    events,
    connect: (client: Omit<WsTestClientOptions, 'url'>) => createWsTestClient<TestRouter>({ url, ...client }),
  };
}

const alice = { connectionParams: { user: 'alice' } };

describe('idempotency() over wsLink, with the key in the input field', () => {
  it('runs once and answers the repeat with the identical stored result', async () => {
    const app = await serve();
    const client = app.connect(alice);
    const first = await client.pay.mutate({ amount: 5, idempotencyKey: 'ws-1' });
    const second = await client.pay.mutate({ amount: 5, idempotencyKey: 'ws-1' });

    expect(app.probe.runs('pay')).toBe(1);
    expect(second).toEqual(first);
    expect(second.chargedAt).toBeInstanceOf(Date);
    expect(second.ledger).toEqual(new Map([[5, 'charged']]));
    expect(second.cents).toBe(500n);
    expect(app.events).toEqual(['executed', 'replayed']);
  });

  it('answers a concurrent repeat with CONFLICT (409) and runs once', async () => {
    const app = await serve();
    const client = app.connect(alice);
    const held = app.probe.hold();
    const running = client.slow.mutate({ amount: 6, idempotencyKey: 'ws-2' });
    await held.started;
    const conflict = await rejection(client.slow.mutate({ amount: 6, idempotencyKey: 'ws-2' }));
    held.release();
    await running;

    expect(app.probe.runs('slow')).toBe(1);
    expect(conflict.data?.code).toBe('CONFLICT');
    expect(conflict.data?.httpStatus).toBe(409);
    expect(conflict.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', retryAfter: 1 });
  });

  it('answers the same key with other input with UNPROCESSABLE_CONTENT (422)', async () => {
    const app = await serve();
    const client = app.connect(alice);
    await client.pay.mutate({ amount: 7, idempotencyKey: 'ws-3' });
    const mismatch = await rejection(client.pay.mutate({ amount: 70, idempotencyKey: 'ws-3' }));

    expect(app.probe.runs('pay')).toBe(1);
    expect(mismatch.data?.code).toBe('UNPROCESSABLE_CONTENT');
    expect(mismatch.data?.httpStatus).toBe(422);
  });

  it('refuses a keyed call from a connection without identity with UNAUTHORIZED (401), and runs nothing', async () => {
    const app = await serve();
    const client = app.connect({ connectionParams: {} });
    const refused = await rejection(client.pay.mutate({ amount: 8, idempotencyKey: 'ws-4' }));

    expect(app.probe.runs('pay')).toBe(0);
    expect(refused.data?.code).toBe('UNAUTHORIZED');
    expect(refused.data?.httpStatus).toBe(401);
  });

  it('never reads a key from the upgrade request: its headers are shared by every call on the connection', async () => {
    const app = await serve();
    const client = app.connect({ ...alice, handshakeHeaders: { 'Idempotency-Key': '"connection-wide"' } });
    const first = await client.pay.mutate({ amount: 9 });
    const second = await client.pay.mutate({ amount: 10 });
    const third = await client.pay.mutate({ amount: 9 });

    expect([first.amount, second.amount, third.amount]).toEqual([9, 10, 9]);
    expect(app.probe.runs('pay')).toBe(3);
    expect(app.events).toEqual([]);
  });
});

describe('idempotency() over wsLink, with getKey reading the connection params', () => {
  it('takes the key from wherever getKey finds it: a second connection with the same key gets the replay', async () => {
    const app = await serve({ getKey: ({ ctx }) => ctx.connectionParams?.idempotencyKey });
    const params = { connectionParams: { user: 'alice', idempotencyKey: 'checkout-1' } };
    const first = await app.connect(params).pay.mutate({ amount: 11 });
    const second = await app.connect(params).pay.mutate({ amount: 11 });

    expect(app.probe.runs('pay')).toBe(1);
    expect(second).toEqual(first);
    expect(app.events).toEqual(['executed', 'replayed']);
  });
});
