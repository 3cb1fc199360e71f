import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, forgetRecord, inspectRecord, type IdempotencyStore } from '../../src/index.js';
import { beginRequest } from './stores/store-contract.js';

const HOUR = 3_600_000;

/** A store with the optional operator members, as the memory, Redis and PostgreSQL stores have them. */
type OperableStore = IdempotencyStore & Required<Pick<IdempotencyStore, 'ping' | 'inspect' | 'forget'>>;

/**
 * What `ping`, `inspect` and `forget` must do on every store that has them, through the store and
 * through `inspectRecord` / `forgetRecord` of the package root.
 */
export function describeOperatorContract(name: string, makeStore: () => OperableStore): void {
  describe(`${name} store: ping, inspect and forget`, () => {
    it('pings', async () => {
      await expect(makeStore().ping()).resolves.toBeUndefined();
    });

    it('inspects a running, a done and a freed record, reading the result only when asked', async () => {
      const store = makeStore();
      const [running, done, freed] = [randomUUID(), randomUUID(), randomUUID()];
      const before = Date.now();
      await store.begin(beginRequest(running, 'a'));
      await store.begin(beginRequest(done, 'b'));
      await store.complete({ id: done, owner: 'b', result: '{"secret":1}', ttlMs: HOUR });
      await store.begin(beginRequest(freed, 'c'));
      await store.release({ id: freed, owner: 'c' });

      const runningView = await store.inspect(running);
      expect(runningView).toMatchObject({ state: 'running', fence: 1, takeover: false });
      expect(runningView?.result).toBeUndefined();
      // Store clocks (Redis, PostgreSQL) may differ from this process's by a little: generous bounds.
      expect(runningView!.leaseExpiresAt!.getTime()).toBeGreaterThan(before - 60_000);
      expect(runningView!.leaseExpiresAt!.getTime()).toBeLessThan(before + 5_000 + 60_000);
      expect(runningView!.expiresAt.getTime()).toBeGreaterThan(runningView!.leaseExpiresAt!.getTime());

      const doneView = await store.inspect(done);
      expect(doneView).toMatchObject({ state: 'done', fence: 1, takeover: false });
      expect(doneView).not.toHaveProperty('result');
      expect(doneView).not.toHaveProperty('leaseExpiresAt');
      await expect(store.inspect(done, { includeResult: true })).resolves.toMatchObject({ result: '{"secret":1}' });

      await expect(store.inspect(freed)).resolves.toMatchObject({ state: 'free', fence: 1 });
      await expect(store.inspect(randomUUID())).resolves.toBeUndefined();
    });

    it('forgets a done record: the next attempt runs from fence 1', async () => {
      const store = makeStore();
      const id = randomUUID();
      await store.begin(beginRequest(id, 'a'));
      await store.complete({ id, owner: 'a', result: 'r', ttlMs: HOUR });
      await expect(store.forget(id)).resolves.toBe(true);
      await expect(store.inspect(id)).resolves.toBeUndefined();
      await expect(store.forget(id)).resolves.toBe(false);
      await expect(store.begin(beginRequest(id, 'b'))).resolves.toEqual({
        status: 'acquired',
        fence: 1,
        takeover: false,
      });
    });

    it('forgets a running record: its holder is refused as stale, the retry runs and the holder cannot overwrite it', async () => {
      const store = makeStore();
      const id = randomUUID();
      await store.begin(beginRequest(id, 'holder'));
      await expect(store.forget(id)).resolves.toBe(true);
      await expect(store.extend({ id, owner: 'holder', leaseMs: 5_000 })).resolves.toBe(false);
      await expect(store.complete({ id, owner: 'holder', result: 'stale', ttlMs: HOUR })).resolves.toBe(false);
      await expect(store.release({ id, owner: 'holder' })).resolves.toBe(false);
      await expect(store.begin(beginRequest(id, 'retry'))).resolves.toMatchObject({ status: 'acquired' });
      await expect(store.complete({ id, owner: 'holder', result: 'stale', ttlMs: HOUR })).resolves.toBe(false);
      await expect(store.complete({ id, owner: 'retry', result: 'fresh', ttlMs: HOUR })).resolves.toBe(true);
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
        status: 'completed',
        result: 'fresh',
      });
    });

    it('finds and forgets the record an engine wrote, by scope, operation and key', async () => {
      const store = makeStore();
      const engine = createIdempotencyEngine({ store });
      const key = randomUUID();
      let runs = 0;
      const call = () =>
        engine.execute({
          scope: 'user-42',
          operation: 'createPayment',
          key,
          input: { amount: 5 },
          run: async () => ++runs,
        });
      await expect(call()).resolves.toMatchObject({ value: 1 });

      const found = await inspectRecord(store, { scope: 42, operation: 'createPayment', key });
      expect(found.record).toBeUndefined(); // scope 42 is not user-42
      const inspection = await inspectRecord(store, { scope: 'user-42', operation: 'createPayment', key });
      expect(inspection.record).toMatchObject({ state: 'done', fence: 1 });
      expect(inspection.record).not.toHaveProperty('result');
      const withResult = await inspectRecord(store, {
        scope: 'user-42',
        operation: 'createPayment',
        key,
        includeResult: true,
      });
      expect(typeof withResult.record?.result).toBe('string');

      await expect(call()).resolves.toMatchObject({ value: 1 });
      expect(runs).toBe(1);
      await expect(forgetRecord(store, { scope: 'user-42', operation: 'createPayment', key })).resolves.toBe(true);
      await expect(call()).resolves.toMatchObject({ value: 2 });
      expect(runs).toBe(2);
    });
  });
}
