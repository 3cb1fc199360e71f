import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../support/redis-client.js';
import { describeStoreContract } from './store-contract.js';

const shared = connectRedis();
describeStoreContract('redis', () => createRedisStore({ redis: shared, prefix: uniquePrefix('contract') }));

describe('redis store across connections', () => {
  it('grants exactly one of 100 concurrent begins sent from 100 separate connections', async () => {
    const prefix = uniquePrefix('connections');
    const stores = Array.from({ length: 100 }, () => createRedisStore({ redis: connectRedis(), prefix }));
    const id = randomUUID();
    const outcomes = await Promise.all(
      stores.map((store) => store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: 60_000 })),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'acquired')).toHaveLength(1);
  });

  it('keeps one hash per record under a hash-tagged key with a TTL', async () => {
    const prefix = uniquePrefix('layout');
    const store = createRedisStore({ redis: shared, prefix });
    const id = randomUUID();
    await store.begin({ id, fingerprint: 'fp', owner: 'o', leaseMs: 5_000, ttlMs: 60_000 });
    const keys = await shared.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}{${id}}`]);
    expect(await shared.type(keys[0]!)).toBe('hash');
    const ttl = await shared.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
