import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { IdempotencyStore } from '../../src/index.js';

const HOUR = 3_600_000;

/**
 * The behaviour every IdempotencyStore must have. Run against the memory store and the Redis store
 * (real redis-server), so the Lua scripts and the in-process transitions are held to one contract.
 */
export function describeStoreContract(name: string, makeStore: () => IdempotencyStore): void {
  describe(`${name} store contract`, () => {
    const fresh = () => ({ store: makeStore(), id: randomUUID(), owner: randomUUID() });

    it('acquires a new record with fence 1 and no takeover', async () => {
      const { store, id, owner } = fresh();
      await expect(store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'acquired',
        fence: 1,
        takeover: false,
      });
    });

    it('reports a live lease as running with the remaining lease time', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR });
      const outcome = await store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR });
      expect(outcome.status).toBe('running');
      if (outcome.status !== 'running') return;
      expect(outcome.leaseRemainingMs).toBeGreaterThan(0);
      expect(outcome.leaseRemainingMs).toBeLessThanOrEqual(5_000);
    });

    it('replays the completed result and reports a different fingerprint as mismatch', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR });
      await expect(store.complete({ id, owner, result: '{"json":1}', ttlMs: HOUR })).resolves.toBe(true);
      await expect(store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'completed',
        result: '{"json":1}',
      });
      await expect(store.begin({ id, fingerprint: 'other', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'mismatch',
      });
    });

    it('reports a different fingerprint as mismatch while the first attempt runs', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR });
      await expect(store.begin({ id, fingerprint: 'other', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'mismatch',
      });
    });

    it('takes over an expired lease with a higher fence and refuses the old owner', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 50, ttlMs: HOUR });
      await sleep(120);
      const next = randomUUID();
      await expect(store.begin({ id, fingerprint: 'fp', owner: next, leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: true,
      });
      await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(false);
      await expect(store.complete({ id, owner, result: 'stale', ttlMs: HOUR })).resolves.toBe(false);
      await expect(store.release({ id, owner })).resolves.toBe(false);
      await expect(store.complete({ id, owner: next, result: 'fresh', ttlMs: HOUR })).resolves.toBe(true);
      await expect(store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'completed',
        result: 'fresh',
      });
    });

    it('lets the owner extend its lease so it is not taken over', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 100, ttlMs: HOUR });
      await sleep(60);
      await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(true);
      await sleep(80);
      const outcome = await store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR });
      expect(outcome.status).toBe('running');
    });

    it('keeps a record alive while its owner renews the lease, even past the ttl it began with', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 100, ttlMs: 100 });
      await sleep(50);
      await expect(store.extend({ id, owner, leaseMs: 500 })).resolves.toBe(true);
      await sleep(150);
      const outcome = await store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR });
      expect(outcome.status).toBe('running');
    });

    it('frees a released record for the next attempt, with any fingerprint, keeping the fence growing', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR });
      await expect(store.release({ id, owner })).resolves.toBe(true);
      await expect(store.begin({ id, fingerprint: 'other', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR })).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: false,
      });
    });

    it('forgets a completed record after its ttl', async () => {
      const { store, id, owner } = fresh();
      await store.begin({ id, fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR });
      await store.complete({ id, owner, result: 'r', ttlMs: 80 });
      await sleep(150);
      const outcome = await store.begin({ id, fingerprint: 'other', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR });
      expect(outcome.status).toBe('acquired');
    });

    it('grants exactly one of 100 concurrent begins on one record', async () => {
      const { store, id } = fresh();
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, () => store.begin({ id, fingerprint: 'fp', owner: randomUUID(), leaseMs: 5_000, ttlMs: HOUR })),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'acquired')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.status === 'running')).toHaveLength(99);
    });
  });
}
