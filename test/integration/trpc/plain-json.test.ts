import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { createTestClient } from '../../support/servers/trpc/client.js';
import { createPlainRouter, type PlainRouter } from '../../support/servers/trpc/plain-router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

describe('idempotency() on a router without a transformer', () => {
  it('replays the same types server-side, so a retried dropped response gets the original JSON output', async () => {
    const app = createPlainRouter(createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('trpc-plain') }));
    const server = await startStandaloneServer(app.router);
    const { client, exchanges } = createTestClient<PlainRouter>({ url: server.url, user: 'alice', superjson: false });
    server.dropResponses('pay', 1);

    const result = await client.pay.mutate({ amount: 9 });
    const replay = await client.pay.mutate(
      { amount: 9 },
      { context: { idempotencyKey: exchanges[0]?.key?.slice(1, -1) } },
    );

    expect(app.probe.runs('pay')).toBe(1);
    expect(exchanges.map((exchange) => [exchange.status, exchange.headers?.get('idempotent-replayed')])).toEqual([
      [undefined, undefined],
      [200, 'true'],
      [200, 'true'],
    ]);
    expect(result).toEqual({ amount: 9, chargedAt: '2024-03-01T00:00:00.000Z' });
    expect(replay).toEqual(result);
    // The middleware around idempotency() saw a Date on the first run and on both replays.
    expect(app.seen).toEqual(['Date', 'Date', 'Date']);
  });
});
