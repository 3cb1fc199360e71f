import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';
import { counter, engineStores, instrument, setupEngine } from '../../support/engine.js';
import { beginRequest } from '../../support/stores/store-contract.js';

/**
 * The engine retries `complete` and `release` after a store error, so it relies on every transition
 * being idempotent for its own owner: a call whose reply was lost, sent again, must answer as the
 * first did. These tests depend on that store behaviour (src/stores), kept apart so a failure here
 * points at the stores rather than at the engine.
 */
const HOUR = 3_600_000;

describe.each(engineStores('resent'))('transitions re-sent by their own owner on the %s store', (_name, makeStore) => {
  it('begin twice with the same owner: the same fence, no second acquisition', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await expect(store.begin(beginRequest(id, owner))).resolves.toEqual({
      status: 'acquired',
      fence: 1,
      takeover: false,
    });
    await expect(store.begin(beginRequest(id, owner))).resolves.toEqual({
      status: 'acquired',
      fence: 1,
      takeover: false,
    });
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'running' });
  });

  it('complete twice with the same owner: true both times, the first result kept', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    await expect(store.complete({ id, owner, result: 'r', ttlMs: HOUR })).resolves.toBe(true);
    await expect(store.complete({ id, owner, result: 'r', ttlMs: HOUR })).resolves.toBe(true);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({ status: 'completed', result: 'r' });
  });

  it('release twice with the same owner: true both times, and the record is free', async () => {
    const store = makeStore();
    const [id, owner] = [randomUUID(), randomUUID()];
    await store.begin(beginRequest(id, owner));
    await expect(store.release({ id, owner })).resolves.toBe(true);
    await expect(store.release({ id, owner })).resolves.toBe(true);
    await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
      status: 'acquired',
      fence: 2,
      takeover: false,
    });
  });

  describe('the engine, when a reply is lost (the store applied the call, the caller saw an error)', () => {
    const request = { scope: 'user-1', operation: 'createCharge', input: { amount: 100 } };

    it('retries complete and hears true: executed, no stale completion, replayed afterwards', async () => {
      const { store, calls: storeCalls } = instrument(makeStore(), { complete: { times: 1, when: 'after' } });
      const { engine, types } = setupEngine(store, { lease: 1_000 });
      const key = randomUUID();
      const { calls, run } = counter(() => 'charged');
      await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'charged', replayed: false });
      await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'charged', replayed: true });
      expect(storeCalls.complete).toBe(2);
      expect(calls.count).toBe(1);
      expect(types()).toEqual(['store-error', 'executed', 'replayed']);
    });

    it('retries release and hears true: released, and the next attempt runs with fence 2 (no takeover)', async () => {
      const { store, calls: storeCalls } = instrument(makeStore(), { release: { times: 1, when: 'after' } });
      const { engine, types } = setupEngine(store, { lease: 1_000 });
      const key = randomUUID();
      const seen: RunContext[] = [];
      const run = async (context: RunContext) => {
        seen.push(context);
        if (seen.length === 1) throw new Error('try again');
        return 'charged';
      };
      await expect(engine.execute({ ...request, key, run })).rejects.toThrow('try again');
      await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'charged', replayed: false });
      expect(storeCalls.release).toBe(2);
      expect(seen.map(({ fence, takeover }) => [fence, takeover])).toEqual([
        [1, false],
        [2, false],
      ]);
      expect(types()).toEqual(['store-error', 'released', 'executed']);
    });
  });
});

describe('a real Redis that stalls while the outcome is written (CLIENT PAUSE), with a short store timeout', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());

  it('times out, re-sends complete until Redis answers, and stores the result once: executed, never stale', async () => {
    const admin = connectRedis({}, server.url);
    const store = createRedisStore({ redis: connectRedis({}, server.url), timeout: 100 });
    const { engine, events, types } = setupEngine(store, { lease: 3_000, completionRetry: 3_000 });
    const request = { scope: 'user-1', operation: 'createCharge', key: randomUUID(), input: { amount: 100 } };
    await engine.execute({ ...request, key: 'warm-up', run: async () => 'loads the scripts' });

    const { calls, run } = counter(async () => {
      // Every client's commands wait 400 ms: each complete times out after 100 ms, Redis runs them all afterwards.
      await admin.call('CLIENT', 'PAUSE', '400', 'ALL');
      return 'charged';
    });
    await expect(engine.execute({ ...request, run })).resolves.toEqual({ value: 'charged', replayed: false });
    const timeouts = events.filter(
      (event) => event.type === 'store-error' && String((event.error as Error).message).includes('did not answer'),
    );
    expect(timeouts.length).toBeGreaterThanOrEqual(2);
    expect(types()).not.toContain('stale-completion');
    expect(types().filter((type) => type === 'executed')).toHaveLength(2); // the warm-up and this one

    await expect(engine.execute({ ...request, run })).resolves.toEqual({ value: 'charged', replayed: true });
    expect(calls.count).toBe(1);
  });
});
