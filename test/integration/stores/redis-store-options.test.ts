// Origin: an adversarial review of the store clients and the CLI.
// createRedisStore takes `timeout` unchecked (the PostgreSQL store checks its own: a whole
// number ≥ 1). A timeout of NaN (Number(process.env.X) unset), 0 or below times every call out at
// once: ping() rejects and every keyed request is 503 "Redis did not answer within NaN ms" while
// Redis answers in a millisecond. Fails closed, but the message blames Redis: refuse it at creation.
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

describe('createRedisStore option "timeout"', () => {
  it.each([[Number.NaN], [0], [-1], [1.5]])('%s is refused at creation', (timeout) => {
    expect(() => createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('opts'), timeout })).toThrow(
      new TypeError(`redis store option "timeout" must be a whole number ≥ 1, got ${timeout}.`),
    );
  });

  it('1 is accepted', async () => {
    const store = createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('opts'), timeout: 1_000 });
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
