// Readiness and inspection for operators: ping, inspect and forget on the Redis store, with ioredis and node-redis.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore, type RedisClient } from '../../../src/stores/redis.js';
import { startFaultProxy, type FaultProxy } from '../../support/redis/fault-proxy.js';
import { freePort } from '../../support/free-port.js';
import { connectNodeRedis } from '../../support/node-redis-client.js';
import { describeOperatorContract } from '../../support/operator-contract.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { beginRequest } from '../../support/stores/store-contract.js';

let nodeRedis: Awaited<ReturnType<typeof connectNodeRedis>>;
beforeAll(async () => {
  nodeRedis = await connectNodeRedis();
});

const ioredis = connectRedis();
describeOperatorContract('redis (ioredis)', () => createRedisStore({ redis: ioredis, prefix: uniquePrefix('ops-io') }));
describeOperatorContract('redis (node-redis)', () =>
  createRedisStore({ redis: nodeRedis, prefix: uniquePrefix('ops-node') }),
);

describe('redis store inspect reads the record in place', () => {
  it('reports fence and takeover after a lapsed lease, and an expiry within the record TTL', async () => {
    const store = createRedisStore({ redis: ioredis, prefix: uniquePrefix('ops-takeover') });
    const id = randomUUID();
    await store.begin(beginRequest(id, 'first', { leaseMs: 1 }));
    await expect
      .poll(() => store.begin(beginRequest(id, 'taker')), { timeout: 10_000 })
      .toMatchObject({
        status: 'acquired',
      });
    const view = await store.inspect(id);
    expect(view).toMatchObject({ state: 'running', fence: 2, takeover: true });
    const ttl = view!.expiresAt.getTime() - view!.leaseExpiresAt!.getTime();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });
});

describe('redis store ping when Redis cannot be reached', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    const target = new URL(inject('redisUrl'));
    proxy = await startFaultProxy({ target: { host: target.hostname, port: Number(target.port) } });
  });
  afterAll(() => proxy.close());

  it('ioredis on a closed port: rejects', async () => {
    // Not through connectRedis: its PING stays queued for a server that never comes, so quit would wait forever.
    const redis = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: null });
    redis.on('error', () => {}); // ECONNREFUSED on every reconnect: expected here
    const store = createRedisStore({ redis, timeout: 300 });
    try {
      await expect(store.ping()).rejects.toThrow(/did not answer within 300 ms/);
    } finally {
      redis.disconnect();
    }
  });

  it('node-redis whose server went away (its port now closed): rejects', async () => {
    const closing = await startFaultProxy({
      target: { host: '127.0.0.1', port: Number(new URL(inject('redisUrl')).port) },
    });
    const redis = await connectNodeRedis(closing.url, { resp2: true });
    const store = createRedisStore({ redis, timeout: 300 });
    await expect(store.ping()).resolves.toBeUndefined();
    await closing.close();
    await expect(store.ping()).rejects.toThrow();
  });

  for (const [name, connect] of [
    ['ioredis', async (url: string): Promise<RedisClient> => connectRedis({}, url)],
    ['node-redis', (url: string): Promise<RedisClient> => connectNodeRedis(url, { resp2: true })],
  ] as const) {
    it(`${name} through a connection that stops answering (blackholed): rejects at the store timeout`, async () => {
      const store = createRedisStore({
        redis: await connect(proxy.url),
        prefix: uniquePrefix('ops-ping'),
        timeout: 300,
      });
      await expect(store.ping()).resolves.toBeUndefined();
      const blackholed = proxy.inject({ kind: 'blackhole', ms: 3_000, transition: 'begin' });
      await expect(store.begin(beginRequest(randomUUID(), 'o'))).rejects.toThrow(/did not answer within 300 ms/);
      await expect(store.ping()).rejects.toThrow(/did not answer within 300 ms/);
      await blackholed;
      await expect(store.ping()).resolves.toBeUndefined();
    }, 20_000);
  }
});
