import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, inject } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';

const opened: Redis[] = [];
try {
  afterAll(async () => {
    await Promise.all(opened.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
  });
} catch {
  // Outside a vitest worker (a child process importing a server harness): it opens no run connections.
}

/** A new ioredis connection to the run's redis-server, closed after the file's tests. */
export function connectRedis(options: RedisOptions = {}, url = inject('redisUrl')): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, ...options });
  opened.push(client);
  return client;
}

/** A unique prefix so tests sharing one redis-server never see each other's records. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${Math.random().toString(36).slice(2)}:`;
}

/** A Redis store on the run's redis-server, under a prefix of its own that `label` names. */
export function redisStore(label: string) {
  return createRedisStore({ redis: connectRedis(), prefix: uniquePrefix(label) });
}
