import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient } from '../../support/servers/trpc/client.js';
import { createPlainRouter, type PlainRouter } from '../../support/servers/trpc/plain-router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

describe('idempotency() with an input whose keys are constructor / prototype / __proto__', () => {
  it('runs the mutation once and replays it (no 400), over @trpc/client and raw JSON', async () => {
    const app = createPlainRouter(createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('trpc-proto') }));
    const server = await startStandaloneServer(app.router);
    const { client, exchanges } = createTestClient<PlainRouter>({ url: server.url, user: 'alice', superjson: false });
    const input = { amount: 3, constructor: 'not a function', prototype: { polluted: true } };

    const first = await client.pay.mutate(input, { context: { idempotencyKey: 'proto-1' } });
    const second = await client.pay.mutate(input, { context: { idempotencyKey: 'proto-1' } });
    const raw = () =>
      fetch(`${server.url}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'alice', 'idempotency-key': 'proto-2' },
        body: '{"amount":4,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      });
    const [rawFirst, rawSecond] = [await raw(), await raw()];

    expect(second).toEqual(first);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [200, null],
      [200, 'true'],
    ]);
    expect([rawFirst.status, rawSecond.status, rawSecond.headers.get('idempotent-replayed')]).toEqual([
      200,
      200,
      'true',
    ]);
    expect(await rawSecond.text()).toBe(await rawFirst.text());
    expect(app.probe.runs('pay')).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
