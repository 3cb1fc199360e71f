import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer } from '../../support/redis/server.js';
import { createTestClient, rejection } from '../../support/servers/trpc/client.js';
import { createTestRouter, type TestRouter } from '../../support/servers/trpc/router.js';
import { startStandaloneServer } from '../../support/servers/trpc/servers.js';

describe('idempotency() when Redis is down', () => {
  it('answers 503 SERVICE_UNAVAILABLE and runs nothing (failMode closed)', async () => {
    const redisServer = await startRedisServer();
    const redis = connectRedis({ maxRetriesPerRequest: 0 }, redisServer.url);
    redis.on('error', () => {}); // reconnect attempts after the stop are expected
    const app = createTestRouter({
      store: createRedisStore({ redis, prefix: uniquePrefix('trpc-down'), timeout: 500 }),
    });
    const server = await startStandaloneServer(app.router);
    const { client, exchanges } = createTestClient<TestRouter>({ url: server.url, user: 'alice' });
    await client.pay.mutate({ amount: 1 });

    await redisServer.stop();
    const error = await rejection(client.pay.mutate({ amount: 2 }));

    expect(app.probe.runs('pay')).toBe(1);
    expect(error.data?.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.data?.idempotency).toEqual({ code: 'IDEMPOTENCY_STORE_UNAVAILABLE' });
    expect(exchanges.map((exchange) => exchange.status)).toEqual([200, 503]);
  });
});
