import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BeginRequest, IdempotencyStore } from '../../../src/index.js';

const HOUR = 3_600_000;

/** A begin for `id` by `owner` with fingerprint 'fp', a 5 s lease and a 1 h TTL, unless `changes` say otherwise. */
export function beginRequest(id: string, owner: string, changes: Partial<BeginRequest> = {}): BeginRequest {
  return { id, scopeId: 'scope', fingerprint: 'fp', owner, leaseMs: 5_000, ttlMs: HOUR, ...changes };
}

/**
 * The behaviour every IdempotencyStore must have. Run against the memory store and the Redis store
 * (real redis-server), so the Lua scripts and the in-process transitions are held to one contract.
 */
export function describeStoreContract(name: string, makeStore: () => IdempotencyStore): void {
  describe(`${name} store contract`, () => {
    const fresh = () => ({ store: makeStore(), id: randomUUID(), owner: randomUUID() });

    it('acquires a new record with fence 1 and no takeover', async () => {
      const { store, id, owner } = fresh();
      await expect(store.begin(beginRequest(id, owner))).resolves.toEqual({
        status: 'acquired',
        fence: 1,
        takeover: false,
      });
    });

    it('reports a live lease as running with the remaining lease time', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner));
      const outcome = await store.begin(beginRequest(id, randomUUID()));
      expect(outcome.status).toBe('running');
      if (outcome.status !== 'running') return;
      expect(outcome.leaseRemainingMs).toBeGreaterThan(0);
      expect(outcome.leaseRemainingMs).toBeLessThanOrEqual(5_000);
    });

    it('replays the completed result and reports a different fingerprint as mismatch', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner));
      await expect(store.complete({ id, owner, result: '{"json":1}', ttlMs: HOUR })).resolves.toBe(true);
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
        status: 'completed',
        result: '{"json":1}',
      });
      await expect(store.begin(beginRequest(id, randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
        status: 'mismatch',
      });
    });

    it('reports a different fingerprint as mismatch while the first attempt runs', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner));
      await expect(store.begin(beginRequest(id, randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
        status: 'mismatch',
      });
    });

    it('takes over an expired lease with a higher fence and refuses the old owner, before and after the new owner finishes', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner, { leaseMs: 50 }));
      await sleep(120);
      const next = randomUUID();
      await expect(store.begin(beginRequest(id, next))).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: true,
      });
      await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(false);
      await expect(store.complete({ id, owner, result: 'stale', ttlMs: HOUR })).resolves.toBe(false);
      await expect(store.release({ id, owner })).resolves.toBe(false);
      await expect(store.begin(beginRequest(id, owner))).resolves.toMatchObject({ status: 'running' });
      await expect(store.complete({ id, owner: next, result: 'fresh', ttlMs: HOUR })).resolves.toBe(true);
      await expect(store.complete({ id, owner, result: 'stale', ttlMs: HOUR })).resolves.toBe(false);
      await expect(store.release({ id, owner })).resolves.toBe(false);
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
        status: 'completed',
        result: 'fresh',
      });
    });

    it('keeps reporting a takeover, with a growing fence, through releases until an attempt completes', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner, { leaseMs: 50 }));
      await sleep(120);
      const second = randomUUID();
      await expect(store.begin(beginRequest(id, second))).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: true,
      });
      // The attempt that took over threw and freed the key: the crashed first attempt's work is still unrecovered.
      await expect(store.release({ id, owner: second })).resolves.toBe(true);
      const third = randomUUID();
      await expect(store.begin(beginRequest(id, third))).resolves.toEqual({
        status: 'acquired',
        fence: 3,
        takeover: true,
      });
      await expect(store.begin(beginRequest(id, third))).resolves.toEqual({
        status: 'acquired',
        fence: 3,
        takeover: true,
      });
      await expect(store.complete({ id, owner: third, result: 'recovered', ttlMs: HOUR })).resolves.toBe(true);
      await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
        status: 'completed',
        result: 'recovered',
      });
      // Without a takeover, a released record is acquired again with no takeover.
      const other = randomUUID();
      await store.begin(beginRequest(other, owner));
      await store.release({ id: other, owner });
      await expect(store.begin(beginRequest(other, randomUUID()))).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: false,
      });
    });

    it('lets the owner extend its lease so it is not taken over', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner, { leaseMs: 400 }));
      await sleep(60);
      await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(true);
      await sleep(500); // past the first lease: only the renewal keeps it (margins for a busy machine)
      const outcome = await store.begin(beginRequest(id, randomUUID()));
      expect(outcome.status).toBe('running');
    });

    it('keeps a record alive while its owner renews the lease, even past the ttl it began with', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner, { leaseMs: 400, ttlMs: 400 }));
      await sleep(50);
      await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(true);
      await sleep(500); // past the ttl it began with (margins for a busy machine)
      const outcome = await store.begin(beginRequest(id, randomUUID()));
      expect(outcome.status).toBe('running');
    });

    it('frees a released record for the next attempt, with any fingerprint, keeping the fence growing', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner));
      await expect(store.release({ id, owner })).resolves.toBe(true);
      await expect(store.begin(beginRequest(id, randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
        status: 'acquired',
        fence: 2,
        takeover: false,
      });
    });

    it('forgets a completed record after its ttl', async () => {
      const { store, id, owner } = fresh();
      await store.begin(beginRequest(id, owner));
      await store.complete({ id, owner, result: 'r', ttlMs: 80 });
      await sleep(150);
      const outcome = await store.begin(beginRequest(id, randomUUID(), { fingerprint: 'other' }));
      expect(outcome.status).toBe('acquired');
    });

    it('grants exactly one of 100 concurrent begins on one record', async () => {
      const { store, id } = fresh();
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, () => store.begin(beginRequest(id, randomUUID()))),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'acquired')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.status === 'running')).toHaveLength(99);
    });

    describe('a call re-sent by its own owner (its first reply was lost) answers as the first did', () => {
      it('begin: acquired again with the same fence, changing nothing; another owner still gets running', async () => {
        const { store, id, owner } = fresh();
        const first = await store.begin(beginRequest(id, owner));
        await expect(store.begin(beginRequest(id, owner))).resolves.toEqual(first);
        await expect(store.begin(beginRequest(id, owner))).resolves.toEqual({
          status: 'acquired',
          fence: 1,
          takeover: false,
        });
        await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'running' });
        await expect(store.begin(beginRequest(id, randomUUID(), { fingerprint: 'other' }))).resolves.toEqual({
          status: 'mismatch',
        });
        await expect(store.release({ id, owner })).resolves.toBe(true);
        await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({
          status: 'acquired',
          fence: 2,
        });
      });

      it('begin after a takeover: acquired again with the same fence and takeover flag', async () => {
        const { store, id, owner } = fresh();
        await store.begin(beginRequest(id, owner, { leaseMs: 50 }));
        await sleep(120);
        const next = randomUUID();
        const first = await store.begin(beginRequest(id, next));
        expect(first).toEqual({ status: 'acquired', fence: 2, takeover: true });
        await expect(store.begin(beginRequest(id, next))).resolves.toEqual(first);
        await expect(store.begin(beginRequest(id, owner))).resolves.toMatchObject({ status: 'running' });
      });

      it('complete: true again, keeping the first result; other owners and the finished owner cannot extend or free it', async () => {
        const { store, id, owner } = fresh();
        await store.begin(beginRequest(id, owner));
        await expect(store.complete({ id, owner, result: 'first', ttlMs: HOUR })).resolves.toBe(true);
        await expect(store.complete({ id, owner, result: 'first', ttlMs: HOUR })).resolves.toBe(true);
        await expect(store.complete({ id, owner, result: 'second', ttlMs: HOUR })).resolves.toBe(true);
        await expect(store.complete({ id, owner: randomUUID(), result: 'other', ttlMs: HOUR })).resolves.toBe(false);
        await expect(store.release({ id, owner: randomUUID() })).resolves.toBe(false);
        await expect(store.release({ id, owner })).resolves.toBe(false);
        await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(false);
        await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toEqual({
          status: 'completed',
          result: 'first',
        });
      });

      it('release: true again; the released owner cannot complete it, nor touch the next owner’s record', async () => {
        const { store, id, owner } = fresh();
        await store.begin(beginRequest(id, owner));
        await expect(store.release({ id, owner })).resolves.toBe(true);
        await expect(store.release({ id, owner })).resolves.toBe(true);
        await expect(store.release({ id, owner: randomUUID() })).resolves.toBe(false);
        await expect(store.complete({ id, owner, result: 'late', ttlMs: HOUR })).resolves.toBe(false);
        await expect(store.extend({ id, owner, leaseMs: 5_000 })).resolves.toBe(false);
        const next = randomUUID();
        await expect(store.begin(beginRequest(id, next))).resolves.toEqual({
          status: 'acquired',
          fence: 2,
          takeover: false,
        });
        await expect(store.release({ id, owner })).resolves.toBe(false);
        await expect(store.complete({ id, owner, result: 'late', ttlMs: HOUR })).resolves.toBe(false);
        await expect(store.begin(beginRequest(id, randomUUID()))).resolves.toMatchObject({ status: 'running' });
      });
    });
  });
}
