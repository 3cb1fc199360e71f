import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startHeartbeat } from '../../../src/core/heartbeat.js';
import { createMemoryStore, IdempotencyConcurrentRequestError, type IdempotencyStore } from '../../../src/index.js';
import { setupEngine, until } from '../../support/engine.js';

describe('startHeartbeat', () => {
  function beat(renew: () => Promise<boolean>, limitMs = 10_000) {
    const seen = { errors: [] as unknown[], limits: 0 };
    const stop = startHeartbeat({
      renew,
      everyMs: 10,
      limitMs,
      onError: (error) => seen.errors.push(error),
      onLimit: () => seen.limits++,
    });
    return { stop, seen };
  }

  it('renews every period until stopped', async () => {
    let renewals = 0;
    const { stop, seen } = beat(async () => ++renewals > 0);
    await sleep(65);
    stop();
    const atStop = renewals;
    expect(atStop).toBeGreaterThanOrEqual(3);
    await sleep(50);
    expect(renewals).toBe(atStop);
    expect(seen).toEqual({ errors: [], limits: 0 });
  });

  it('stops once the lease is lost (renew answers false), without reporting the limit', async () => {
    let renewals = 0;
    const { stop, seen } = beat(async () => ++renewals < 2, 60);
    await sleep(120);
    expect(renewals).toBe(2);
    expect(seen.limits).toBe(0);
    stop();
  });

  it('keeps renewing through store errors, reporting each', async () => {
    let renewals = 0;
    const { stop, seen } = beat(async () => {
      renewals++;
      throw new Error('blip');
    });
    await sleep(65);
    stop();
    expect(renewals).toBeGreaterThanOrEqual(3);
    expect(seen.errors).toHaveLength(renewals);
  });

  it('reports a renew that throws synchronously as an error instead of crashing the process', async () => {
    let renewals = 0;
    const { stop, seen } = beat(() => {
      renewals++;
      throw new Error('thrown, not rejected');
    });
    await sleep(45);
    stop();
    expect(renewals).toBeGreaterThanOrEqual(2);
    expect(seen.errors).toHaveLength(renewals);
  });

  it('stops at the limit and reports it once', async () => {
    let renewals = 0;
    const { seen } = beat(async () => ++renewals > 0, 50);
    await until(() => seen.limits === 1);
    const atLimit = renewals;
    await sleep(60);
    expect(renewals).toBe(atLimit);
    expect(seen.limits).toBe(1);
  });
});

describe('the engine with a store whose extend throws synchronously', () => {
  it('reports store-errors and still completes; the process does not crash', async () => {
    const memory = createMemoryStore();
    const store: IdempotencyStore = {
      begin: (request) => memory.begin(request),
      extend: () => {
        throw new Error('extend exploded');
      },
      complete: (request) => memory.complete(request),
      release: (request) => memory.release(request),
    };
    const { engine, types } = setupEngine(store, { lease: 30 });
    let runs = 0;
    const run = () => sleep(80).then(() => ++runs);
    await expect(engine.execute({ scope: 'u', operation: 'pay', key: 'k', input: {}, run })).resolves.toEqual({
      value: 1,
      replayed: false,
    });
    expect(types().filter((type) => type === 'store-error').length).toBeGreaterThanOrEqual(2);
    expect(types().at(-1)).toBe('executed');
    await expect(engine.execute({ scope: 'u', operation: 'pay', key: 'k', input: {}, run })).resolves.toEqual({
      value: 1,
      replayed: true,
    });
    expect(runs).toBe(1);
  });

  it('when every renewal fails, the lease lapses as after a crash and a retry takes over', async () => {
    const memory = createMemoryStore();
    const store: IdempotencyStore = {
      begin: (request) => memory.begin(request),
      extend: () => Promise.reject(new Error('down')),
      complete: (request) => memory.complete(request),
      release: (request) => memory.release(request),
    };
    const holder = setupEngine(store, { lease: 30 });
    let started = false;
    const running = holder.engine.execute({
      scope: 'u',
      operation: 'pay',
      key: 'k',
      input: {},
      run: () => {
        started = true;
        return sleep(250).then(() => 'slow');
      },
    });
    await until(() => started);
    const other = setupEngine(memory).engine;
    await expect(
      other.execute({ scope: 'u', operation: 'pay', key: 'k', input: {}, run: async () => 'early' }),
    ).rejects.toBeInstanceOf(IdempotencyConcurrentRequestError);
    await sleep(100);
    await expect(
      other.execute({ scope: 'u', operation: 'pay', key: 'k', input: {}, run: async () => 'rescued' }),
    ).resolves.toEqual({ value: 'rescued', replayed: false });
    await expect(running).resolves.toEqual({ value: 'slow', replayed: false });
    expect(holder.types().at(-1)).toBe('stale-completion');
  });
});
