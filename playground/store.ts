import { Redis } from 'ioredis';
import { createMemoryStore } from '../src/stores/memory.js';
import { createRedisStore } from '../src/stores/redis.js';
import type { IdempotencyStore } from '../src/core/store.js';

/** Which store backs the playground's idempotency records. */
export type StoreKind = 'memory' | 'redis';

/** The playground's idempotency store and how to let go of it. */
export interface PlaygroundStore {
  kind: StoreKind;
  store: IdempotencyStore;
  close(): Promise<void>;
}

/**
 * Opens the memory store, or the Redis store when `redisUrl` is given. Connects to Redis up front
 * (one attempt, no endless reconnect loop) so a wrong URL fails at start with a clear message.
 */
export async function openStore(options: { redisUrl?: string; redisPrefix: string }): Promise<PlaygroundStore> {
  const { redisUrl, redisPrefix } = options;
  if (!redisUrl) return { kind: 'memory', store: createMemoryStore(), close: async () => {} };
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  const reportedByConnect = () => {}; // a failed first connection is reported by the rejection below
  redis.on('error', reportedByConnect);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Cannot reach Redis at ${redisUrl}: ${(error as Error).message}`, { cause: error });
  } finally {
    redis.off('error', reportedByConnect);
  }
  return {
    kind: 'redis',
    store: createRedisStore({ redis, prefix: redisPrefix }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
