// The Redis store's one deadline queue (performance work, December 2026): every call is still bounded by `timeout`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { startFaultProxy, type FaultProxy } from '../../support/redis/fault-proxy.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { beginRequest } from '../../support/stores/store-contract.js';

describe('redis store timeouts, through a connection that stops answering', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    const target = new URL(inject('redisUrl'));
    proxy = await startFaultProxy({ target: { host: target.hostname, port: Number(target.port) } });
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('rejects every call in flight once its timeout has passed, then answers again when Redis does', async () => {
    const redis = connectRedis({}, proxy.url);
    const store = createRedisStore({ redis, prefix: uniquePrefix('timeouts'), timeout: 300 });
    const owner = randomUUID();
    const held = randomUUID();
    await expect(store.begin(beginRequest(held, owner))).resolves.toMatchObject({ status: 'acquired' });

    const blackholed = proxy.inject({ kind: 'blackhole', ms: 3_000, transition: 'begin' });
    const calls = [
      store.begin(beginRequest(randomUUID(), randomUUID())),
      store.extend({ id: held, owner, leaseMs: 5_000 }),
      store.complete({ id: held, owner, result: 'r', ttlMs: 60_000 }),
      store.release({ id: held, owner }),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const result of settled)
      if (result.status === 'rejected') expect(String(result.reason)).toMatch(/did not answer within 300 ms/);

    await blackholed;
    // The held calls reach Redis late; the store answers new calls from here on.
    await expect(store.begin(beginRequest(randomUUID(), randomUUID()))).resolves.toMatchObject({ status: 'acquired' });
  }, 20_000);

  it('rejects a call made while an earlier one is still pending at its own deadline, not the earlier one', async () => {
    const redis = connectRedis({}, proxy.url);
    const store = createRedisStore({ redis, prefix: uniquePrefix('timeouts-staggered'), timeout: 400 });
    const blackholed = proxy.inject({ kind: 'blackhole', ms: 3_000, transition: 'begin' });
    const order: string[] = [];
    const first = store.begin(beginRequest(randomUUID(), randomUUID())).catch(() => order.push('first'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = store.begin(beginRequest(randomUUID(), randomUUID())).catch(() => order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    await blackholed;
  }, 20_000);
});
