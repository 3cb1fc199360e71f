/**
 * Redis at its `maxmemory` limit with `noeviction` (the policy docs/redis-deployment.md asks for):
 * a new key is refused (nothing runs), but an attempt whose body already runs can still renew its
 * lease and store its result, so a retry replays instead of taking over and running it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine, IdempotencyStoreUnavailableError } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';

/** Long enough that a busy machine's event-loop stalls never outlast it (the heartbeat renews every third). */
const LEASE_MS = 1_000;
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer(['--maxmemory-policy', 'noeviction']);
});
afterAll(() => server?.stop());

/** Fills Redis up to its limit: sets maxmemory just above what it uses, writes until a write is refused, then lowers the limit below what it uses. */
async function fillToTheLimit(url: string): Promise<void> {
  const admin = connectRedis({}, url);
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
  await admin.config('SET', 'maxmemory', String(used + 512 * 1024));
  const filler = 'x'.repeat(16 * 1024);
  for (let i = 0; ; i++) {
    try {
      await admin.set(`filler:${i}`, filler);
    } catch (error) {
      expect(String(error)).toContain('OOM');
      // Then keep it over the limit: client buffers Redis trims later (idle clients) must not make room again.
      const full = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
      await admin.config('SET', 'maxmemory', String(full - 256 * 1024));
      return;
    }
  }
}

describe('the Redis store at maxmemory with noeviction', () => {
  it('lets a running attempt renew and complete, so its retry replays; refuses a new key with 503', async () => {
    const redis = connectRedis({}, server.url);
    const engine = createIdempotencyEngine({
      store: createRedisStore({ redis, prefix: uniquePrefix('oom') }),
      lease: LEASE_MS,
    });
    let runs = 0;
    let proceed!: () => void;
    const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };
    const first = engine.execute({
      ...request,
      run: async () => {
        runs++;
        await new Promise<void>((resolve) => (proceed = resolve));
        return 'charged';
      },
    });
    await expect.poll(() => runs).toBe(1);
    await fillToTheLimit(server.url);
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS + 100)); // only the heartbeat keeps the record
    proceed();
    await expect(first).resolves.toEqual({ value: 'charged', replayed: false });

    await expect(engine.execute({ ...request, run: async () => `run ${++runs}` })).resolves.toEqual({
      value: 'charged',
      replayed: true,
    });
    await expect(engine.execute({ ...request, key: 'new', run: async () => `run ${++runs}` })).rejects.toBeInstanceOf(
      IdempotencyStoreUnavailableError,
    );
    expect(runs).toBe(1);
  });
});
