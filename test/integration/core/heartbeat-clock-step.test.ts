// Origin: an adversarial review of the performance changes (shared heartbeat, synchronous observer end).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdempotencyEngine, IdempotencyConcurrentRequestError } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

/**
 * Real timers, real redis-server (leases on the server's clock). Only the application host's wall
 * clock steps back (as an NTP correction does): `Date` alone is faked. The heartbeat times its
 * renewals on the steady clock, so the Redis lease keeps being renewed under a healthy, running
 * holder: a retry is refused with 409 and the body runs once (a heartbeat on `Date.now()` waited
 * "until" a renewal time an hour away, and the retry took the record over).
 */
describe('the shared heartbeat on the Redis store when the host clock steps back', () => {
  const wallClock = Date.now;
  afterEach(() => {
    Date.now = wallClock;
  });

  it('keeps renewing a running holder: a retry during the body gets 409', async () => {
    const redis = connectRedis();
    const store = createRedisStore({ redis, prefix: uniquePrefix('review-clock') });
    const holder = createIdempotencyEngine({ store, lease: 300, maxRunTime: 30_000 });
    const retrier = createIdempotencyEngine({ store, lease: 300 });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const request = {
      scope: 'user-1',
      operation: 'pay',
      key: 'k',
      input: { amount: 1 },
      run: async () => {
        if (++runs === 1) await gate; // only the first run is long
        return runs;
      },
    };
    const first = holder.execute(request);
    await sleep(150); // acquired, one renewal done

    Date.now = () => wallClock() - 3_600_000; // the host clock steps one hour back (and runs on)

    await sleep(1_000); // the body runs on: three leases, well inside maxRunTime
    const retry = await retrier.execute(request).then(
      (result) => result,
      (error: unknown) => error,
    );
    release();
    await first;
    expect(retry).toBeInstanceOf(IdempotencyConcurrentRequestError);
    expect(runs).toBe(1);
  });
});
