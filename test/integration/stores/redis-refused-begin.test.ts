// Redis store timeouts: a request refused during an outage does not block its key afterwards
// (docs/guarantees.md, store unreachable), also when the node answers the late begin's EVALSHA with
// NOSCRIPT and the begin runs again as EVAL after the release queued behind it (the script cache is
// uneven after a restart or failover). Origin: an adversarial review of the Redis store timeouts.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';

describe('a begin refused by the store timeout, answered NOSCRIPT', () => {
  let server: RedisServer;
  let redis: Redis;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer(); // its own: SCRIPT FLUSH would race other files' scripts
    redis = new Redis(server.url);
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    admin.disconnect();
    await server.stop();
  });

  it('does not block its key afterwards', async () => {
    const store = createRedisStore({ redis, prefix: 'refused-begin:', timeout: 200 });
    const engine = createIdempotencyEngine({ store, lease: 30_000, ttl: 600_000 });
    const request = { scope: 'user-1', operation: 'pay', input: { amount: 5 } };

    // A body is running when Redis restarts or fails over with its records (the script cache is empty).
    const holder = await engine.begin({ ...request, key: 'running-before-restart' });
    if (holder.status !== 'running') throw new Error('expected to hold the record');
    await admin.script('FLUSH');
    await holder.abandon(new Error('the body threw')); // RELEASE: NOSCRIPT, then EVAL (now cached)

    // Redis stalls for a little longer than the store's timeout: the new request is refused (503).
    await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
    let runs = 0;
    const payment = { ...request, key: 'refused-during-stall', run: async () => ++runs };
    await expect(engine.execute(payment)).rejects.toMatchObject({ code: 'IDEMPOTENCY_STORE_UNAVAILABLE' });
    await new Promise((resolve) => setTimeout(resolve, 900)); // the stall is over, replies are in

    // Redis answers again: the client's retry runs within seconds, not after the 30 s lease (409
    // until then, the late begin's record locking the key), and the body runs once.
    const deadline = Date.now() + 10_000;
    let outcome: unknown;
    for (;;) {
      try {
        outcome = await engine.execute(payment);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'IDEMPOTENCY_CONCURRENT_REQUEST' || Date.now() > deadline)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(outcome).toEqual({ value: 1, replayed: false });
    expect(runs).toBe(1);
  }, 30_000);
});
