/**
 * A server process for the multi-process tests: GraphQL Yoga and tRPC on one port, Redis store.
 * Env: REDIS_URL, PREFIX (store and ledger keys), SERVER_NAME, LEASE_MS (optional).
 * Prints JSON lines on stdout: `{ "ready": { graphqlUrl, trpcUrl } }` once listening, then
 * `{ "started": StartedEvent }` whenever a mutation body starts.
 */
import { Redis } from 'ioredis';
import { createRedisStore } from '../../../../src/stores/redis.js';
import { startApp } from './app.js';

const { REDIS_URL, PREFIX = 'reliability:', SERVER_NAME = `pid-${process.pid}`, LEASE_MS } = process.env;
const redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
const app = await startApp({
  redis,
  prefix: PREFIX,
  server: SERVER_NAME,
  idempotency: {
    // Generous: a storm on a busy machine must not turn a slow Redis reply into a 503 instead of a 409.
    store: createRedisStore({ redis, prefix: PREFIX, timeout: 15_000 }),
    lease: LEASE_MS ? Number(LEASE_MS) : undefined,
  },
  announce: (started) => console.log(JSON.stringify({ started })),
});
console.log(JSON.stringify({ ready: { graphqlUrl: app.graphqlUrl, trpcUrl: app.trpcUrl } }));
process.on('SIGTERM', () => void app.close().finally(() => redis.disconnect()));
