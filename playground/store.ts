import { Redis } from 'ioredis';
import { createMemoryStore } from '../src/stores/memory.js';
import { createRedisStore } from '../src/stores/redis.js';
import type { IdempotencyStore } from '../src/core/store.js';
import { createRunSchema, type RunDatabase } from './postgres.js';

/** Which store backs the playground's idempotency records. */
export type StoreKind = 'memory' | 'redis' | 'postgres';

/** The playground's idempotency store and how to let go of it. */
export interface PlaygroundStore {
  kind: StoreKind;
  store: IdempotencyStore;
  /** On PostgreSQL: the run's schema, where the ledger keeps its charges beside the records. */
  database?: RunDatabase;
  close(): Promise<void>;
}

/** Where the playground keeps its idempotency records: at most one of `redisUrl` and `databaseUrl`. */
export interface StoreOptions {
  redisUrl?: string;
  redisPrefix: string;
  databaseUrl?: string;
}

/**
 * Opens the memory store, the Redis store when `redisUrl` is given, or the PostgreSQL store in a
 * schema of this run's own when `databaseUrl` is given (both: a TypeError). Connects up front (one
 * attempt, no endless reconnect loop) so a wrong URL fails at start with a clear message.
 */
export async function openStore(options: StoreOptions): Promise<PlaygroundStore> {
  const { redisUrl, redisPrefix, databaseUrl } = options;
  if (redisUrl && databaseUrl)
    throw new TypeError(
      'Choose one store: Redis (redisUrl, REDIS_URL) or PostgreSQL (databaseUrl, DATABASE_URL), not both',
    );
  if (databaseUrl) {
    const database = await createRunSchema(databaseUrl);
    return { kind: 'postgres', store: database.store, database, close: () => database.close() };
  }
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
