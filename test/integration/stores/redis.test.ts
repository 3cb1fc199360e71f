import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IdempotencyStore } from '../../../src/index.js';
import { BEGIN } from '../../../src/stores/redis-scripts.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startLossyProxy, type LossyProxy } from '../../support/redis/lossy-proxy.js';
import { beginRequest, describeStoreContract } from '../../support/stores/store-contract.js';

const HOUR = 3_600_000;
const shared = connectRedis();
describeStoreContract('redis', () => createRedisStore({ redis: shared, prefix: uniquePrefix('contract') }));

describe('redis store across connections', () => {
  it('grants exactly one of 100 concurrent begins sent from 100 separate connections', async () => {
    const prefix = uniquePrefix('connections');
    const stores = Array.from({ length: 100 }, () => createRedisStore({ redis: connectRedis(), prefix }));
    const id = randomUUID();
    const outcomes = await Promise.all(stores.map((store) => store.begin(beginRequest(id, randomUUID()))));
    expect(outcomes.filter((outcome) => outcome.status === 'acquired')).toHaveLength(1);
  });

  it('keeps one hash per record under a hash-tagged key with a TTL, in every state', async () => {
    const prefix = uniquePrefix('layout');
    const store = createRedisStore({ redis: shared, prefix });
    const ttlIn = async (key: string) => {
      const ttl = await shared.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(HOUR);
    };
    const [done, freed] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(done, 'o'));
    const keys = await shared.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}{${done}}`]);
    expect(await shared.type(keys[0]!)).toBe('hash');
    await ttlIn(keys[0]!);
    await store.complete({ id: done, owner: 'o', result: 'r', ttlMs: HOUR });
    await store.complete({ id: done, owner: 'o', result: 'r', ttlMs: HOUR });
    await ttlIn(keys[0]!);
    await store.begin(beginRequest(freed, 'o'));
    await store.release({ id: freed, owner: 'o' });
    await store.release({ id: freed, owner: 'o' });
    await ttlIn(`${prefix}{${freed}}`);
  });
});

describe('redis store when a reply is lost', () => {
  it('answers the begin script run twice for one owner (a re-sent EVALSHA) with the same reply, leaving the record as the first left it', async () => {
    const key = `${uniquePrefix('resent')}{${randomUUID()}}`;
    const runBegin = () => shared.eval(BEGIN, 1, key, 'fp', 'owner', 5_000, HOUR);
    const first = await runBegin();
    const fields = await shared.hgetall(key);
    expect(first).toEqual(['acquired', 1, 0]);
    await expect(runBegin()).resolves.toEqual(first);
    expect(await shared.hgetall(key)).toEqual(fields);
  });

  describe('really lost: Redis runs the script, the connection drops before the reply, ioredis re-sends it', () => {
    let proxy: LossyProxy;
    let store: IdempotencyStore;
    beforeAll(async () => {
      const { hostname, port } = new URL(inject('redisUrl'));
      proxy = await startLossyProxy({ host: hostname, port: Number(port) });
      store = createRedisStore({ redis: connectRedis({}, proxy.url), prefix: uniquePrefix('lost') });
      await store.begin(beginRequest(randomUUID(), 'warm-up')); // connects, so the next reply from Redis is the script's
    });
    afterAll(() => proxy.close());

    /** Runs `call` with the reply to its script lost; checks that the script was sent (and run) twice. */
    async function withLostReply<T>(call: () => Promise<T>): Promise<T> {
      const scripts = () => proxy.sent('eval', 'evalsha');
      const before = scripts();
      proxy.dropNextReply();
      const answer = await call();
      expect(scripts() - before).toBe(2);
      return answer;
    }

    it('begin: the owner gets acquired with fence 1, not locked out by its own lease', async () => {
      const id = randomUUID();
      await expect(withLostReply(() => store.begin(beginRequest(id, 'owner')))).resolves.toEqual({
        status: 'acquired',
        fence: 1,
        takeover: false,
      });
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'running' });
    });

    it('complete: the owner hears true, not a stale completion, and the result is stored once', async () => {
      const id = randomUUID();
      await store.begin(beginRequest(id, 'owner'));
      await expect(withLostReply(() => store.complete({ id, owner: 'owner', result: 'r', ttlMs: HOUR }))).resolves.toBe(
        true,
      );
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({ status: 'completed', result: 'r' });
    });

    it('release: the owner hears true and the record is free for the next attempt', async () => {
      const id = randomUUID();
      await store.begin(beginRequest(id, 'owner'));
      await expect(withLostReply(() => store.release({ id, owner: 'owner' }))).resolves.toBe(true);
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: false,
      });
    });
  });
});
