// node-redis (the `redis` package) as well as ioredis behind one scripting client: the store contract on both.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectNodeRedis } from '../../support/node-redis-client.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';
import { beginRequest, describeStoreContract } from '../../support/stores/store-contract.js';

let client: Awaited<ReturnType<typeof connectNodeRedis>>;
beforeAll(async () => {
  client = await connectNodeRedis();
});

describeStoreContract('redis (node-redis)', () =>
  createRedisStore({ redis: client, prefix: uniquePrefix('node-redis') }),
);

describe('redis store scripts after SCRIPT FLUSH (NOSCRIPT: EVALSHA falls back to EVAL)', () => {
  // A server of its own: SCRIPT FLUSH on the run's shared server would race other files' scripts.
  let server: RedisServer;
  let flusher: Awaited<ReturnType<typeof connectNodeRedis>>;
  beforeAll(async () => {
    server = await startRedisServer();
    flusher = await connectNodeRedis(server.url);
  });
  afterAll(() => server.stop()); // the clients are closed by their support modules

  for (const [name, connect] of [
    ['node-redis', () => flusher],
    ['ioredis', () => connectRedis({}, server.url)],
  ] as const) {
    it(`${name}: every transition still runs once, as the first did`, async () => {
      const redis = connect();
      const store = createRedisStore({ redis, prefix: uniquePrefix(`flush-${name}`) });
      const id = randomUUID();
      const client = flusher;
      await client.scriptFlush();
      await expect(store.begin(beginRequest(id, 'owner'))).resolves.toEqual({
        status: 'acquired',
        fence: 1,
        takeover: false,
      });
      await client.scriptFlush();
      await expect(store.extend({ id, owner: 'owner', leaseMs: 5_000 })).resolves.toBe(true);
      await client.scriptFlush();
      await expect(store.complete({ id, owner: 'owner', result: 'r', ttlMs: 60_000 })).resolves.toBe(true);
      await client.scriptFlush();
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({ status: 'completed', result: 'r' });
    });
  }
});

describe('redis store option "redis"', () => {
  it.each([
    [undefined, /got undefined/],
    [{}, /got an object without evalsha or evalSha/],
    [new Map(), /got a Map/],
    ['redis://localhost', /got string/],
  ])('refuses %s with a TypeError naming what was passed', (redis, message) => {
    expect(() => createRedisStore({ redis: redis as never })).toThrow(TypeError);
    expect(() => createRedisStore({ redis: redis as never })).toThrow(message);
  });
});
