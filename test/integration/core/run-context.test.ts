import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type IdempotencyStore, type RunContext } from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { deferred, setupEngine, until } from '../../support/engine.js';

const request = { scope: 'user-1', operation: 'createCharge', key: 'key-1', input: { amount: 100 } };

/** Runs one attempt that fails (freeing the key) and answers its run context. */
async function contextOf(
  store: IdempotencyStore,
  changes: { scope?: string | null; operation?: string; key?: string } = {},
): Promise<RunContext> {
  const { engine } = setupEngine(store);
  let seen: RunContext | undefined;
  await expect(
    engine.execute({
      ...request,
      ...changes,
      run: async (context) => {
        seen = context;
        throw new Error('free the key');
      },
    }),
  ).rejects.toThrow('free the key');
  return seen!;
}

describe('the run context after a crash: takeover, previousFence and derive', () => {
  it('a takeover (the holder crashed: its lease lapsed) gets fence 2, takeover, previousFence 1 and the same derived keys', async () => {
    let clock = 1_000_000;
    const store = createMemoryStore({ now: () => clock });
    const holder = setupEngine(store, { lease: 10_000 });
    const crashed = deferred<string>();
    let held: RunContext | undefined;
    const holding = holder.engine.execute({
      ...request,
      run: (context) => {
        held = context;
        return crashed.promise;
      },
    });
    await until(() => held !== undefined);
    expect(held).toMatchObject({ key: 'key-1', fence: 1, takeover: false, previousFence: undefined });

    clock += 10_001; // the holder's process is gone: its lease lapses without a renewal
    const rescuer = setupEngine(store);
    let rescued: RunContext | undefined;
    await expect(
      rescuer.engine.execute({
        ...request,
        run: async (context) => {
          rescued = context;
          return 'rescued';
        },
      }),
    ).resolves.toEqual({ value: 'rescued', replayed: false });
    expect(rescued).toMatchObject({ key: 'key-1', fence: 2, takeover: true, previousFence: 1 });
    expect(rescuer.events).toEqual([
      expect.objectContaining({ type: 'takeover', operation: 'createCharge', fence: 2 }),
      expect.objectContaining({ type: 'executed', fence: 2 }),
    ]);
    expect(rescued!.derive('stripe-charge')).toBe(held!.derive('stripe-charge'));
    expect(rescued!.derive('ledger-entry')).toBe(held!.derive('ledger-entry'));
    expect(rescued!.derive('stripe-charge')).not.toBe(rescued!.derive('ledger-entry'));

    crashed.resolve('late');
    await holding;
    expect(holder.types()).toEqual(['stale-completion']);
  });

  it('derive is stable across attempts after a release, and across two engines on one store', async () => {
    const store = createMemoryStore();
    const first = await contextOf(store);
    const second = await contextOf(store);
    expect([first.fence, second.fence]).toEqual([1, 2]);
    expect(second).toMatchObject({ takeover: false, previousFence: undefined });
    expect(second.derive('stripe-charge')).toBe(first.derive('stripe-charge'));
    expect(second.derive('stripe-charge')).toBe(first.derive('stripe-charge')); // and on every call
  });

  it('derive differs between names, keys, scopes and operations, and shows no raw key or user id', async () => {
    const base = await contextOf(createMemoryStore());
    const others = await Promise.all([
      contextOf(createMemoryStore(), { key: 'key-2' }),
      contextOf(createMemoryStore(), { scope: 'user-2' }),
      contextOf(createMemoryStore(), { operation: 'refund' }),
    ]);
    const derived = [base.derive('a'), base.derive('b'), ...others.map((context) => context.derive('a'))];
    expect(new Set(derived).size).toBe(derived.length);
    for (const value of derived) {
      expect(value).toMatch(/^[0-9a-f]{64}$/);
      expect(value).not.toContain('key-1');
      expect(value).not.toContain('user-1');
    }
    // The anonymous scope is a scope of its own.
    expect((await contextOf(createMemoryStore(), { scope: null })).derive('a')).not.toBe(base.derive('a'));
  });

  it('derive is the same when the store is down in fail-open mode, so a downstream provider still deduplicates', async () => {
    const recorded = await contextOf(createMemoryStore());
    const down: IdempotencyStore = {
      begin: () => Promise.reject(new Error('store down')),
      extend: () => Promise.reject(new Error('store down')),
      complete: () => Promise.reject(new Error('store down')),
      release: () => Promise.reject(new Error('store down')),
    };
    const { engine, types } = setupEngine(down, { failMode: 'open' });
    let seen: RunContext | undefined;
    await engine.execute({
      ...request,
      run: async (context) => {
        seen = context;
        return 'ran without a record';
      },
    });
    expect(seen).toMatchObject({ key: 'key-1', fence: undefined, takeover: false, previousFence: undefined });
    expect(seen!.derive('stripe-charge')).toBe(recorded.derive('stripe-charge'));
    expect(types()).toEqual(['store-error']);
  });

  it('without a key: no fence, no takeover, and derive gives a fresh random value on every call', async () => {
    const { engine } = setupEngine(createMemoryStore());
    const seen: RunContext[] = [];
    const run = async (context: RunContext) => {
      seen.push(context);
      return 'ok';
    };
    await engine.execute({ ...request, key: undefined, run });
    await engine.execute({ ...request, key: undefined, run });
    expect(seen[0]).toMatchObject({ key: undefined, fence: undefined, takeover: false, previousFence: undefined });
    const values = [
      seen[0]!.derive('stripe-charge'),
      seen[0]!.derive('stripe-charge'),
      seen[1]!.derive('stripe-charge'),
    ];
    expect(new Set(values).size).toBe(3);
  });

  it('the two-phase attempt hands the same run context', async () => {
    const store = createMemoryStore();
    const recorded = await contextOf(store);
    const attempt = await setupEngine(store).engine.begin<string>(request);
    if (attempt.status !== 'running') throw new Error('expected to run');
    expect(attempt.context).toMatchObject({ key: 'key-1', fence: 2, takeover: false, previousFence: undefined });
    expect(attempt.context.derive('stripe-charge')).toBe(recorded.derive('stripe-charge'));
    await attempt.finish('done', { returned: true });
  });
});

describe('the run context after a real lease lapse on Redis', () => {
  it('a stalled holder is taken over with fence 2 and previousFence 1; derived keys match', async () => {
    const real = createRedisStore({ redis: connectRedis(), prefix: uniquePrefix('run-context') });
    // The holder's heartbeat never reaches Redis, as if its process were paused.
    const stalled: IdempotencyStore = { ...real, extend: async () => true };
    const holder = setupEngine(stalled, { lease: 100 });
    const paused = deferred<string>();
    let held: RunContext | undefined;
    const holding = holder.engine.execute({
      ...request,
      run: (context) => {
        held = context;
        return paused.promise;
      },
    });
    await until(() => held !== undefined);
    await sleep(200);
    let rescued: RunContext | undefined;
    await setupEngine(real).engine.execute({
      ...request,
      run: async (context) => {
        rescued = context;
        return 'rescued';
      },
    });
    expect(held).toMatchObject({ fence: 1, takeover: false, previousFence: undefined });
    expect(rescued).toMatchObject({ fence: 2, takeover: true, previousFence: 1 });
    expect(rescued!.derive('stripe-charge')).toBe(held!.derive('stripe-charge'));
    paused.resolve('late');
    await holding;
    expect(holder.types()).toEqual(['stale-completion']);
  });
});
