import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createHeartbeat } from '../../../src/core/heartbeat.js';
import { createMemoryStore, IdempotencyConcurrentRequestError, type IdempotencyStore } from '../../../src/index.js';
import { setupEngine, until } from '../../support/engine.js';

describe('createHeartbeat', () => {
  function heartbeat(renew: (held: string) => Promise<boolean>, limitMs = 10_000) {
    const seen = { errors: [] as unknown[], limits: [] as string[] };
    const beats = createHeartbeat<string>({
      renew,
      everyMs: 10,
      limitMs,
      onError: (_held, error) => seen.errors.push(error),
      onLimit: (held) => seen.limits.push(held),
    });
    return { start: (held = 'a') => beats.start(held), seen };
  }

  function beat(renew: () => Promise<boolean>, limitMs?: number) {
    const { start, seen } = heartbeat(renew, limitMs);
    return { stop: start(), seen };
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
    expect(seen).toEqual({ errors: [], limits: [] });
  });

  it('stops once the lease is lost (renew answers false), without reporting the limit', async () => {
    let renewals = 0;
    const { stop, seen } = beat(async () => ++renewals < 2, 60);
    await sleep(120);
    expect(renewals).toBe(2);
    expect(seen.limits).toEqual([]);
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
    await until(() => seen.limits.length === 1);
    const atLimit = renewals;
    await sleep(60);
    expect(renewals).toBe(atLimit);
    expect(seen.limits).toEqual(['a']);
  });

  it('renews several leases on one timer, each until its own stop, loss or limit', async () => {
    const renewals = new Map<string, number>();
    const lost = new Set(['lost']);
    const { start, seen } = heartbeat(async (held) => {
      renewals.set(held, (renewals.get(held) ?? 0) + 1);
      return !lost.has(held);
    }, 200);
    const stopFirst = start('first');
    start('lost');
    await sleep(25);
    start('late'); // started between two renewals: renewed within one period all the same
    await sleep(40);
    stopFirst();
    const first = renewals.get('first')!;
    expect(first).toBeGreaterThanOrEqual(3);
    expect(renewals.get('lost')).toBe(1);
    expect(renewals.get('late')).toBeGreaterThanOrEqual(2);
    await until(() => seen.limits.length === 1);
    expect(seen.limits).toEqual(['late']); // the only lease neither stopped nor lost
    const late = renewals.get('late')!;
    await sleep(40);
    expect(renewals.get('first')).toBe(first);
    expect(renewals.get('late')).toBe(late);
    expect(renewals.get('lost')).toBe(1);
    expect(seen.errors).toEqual([]);
  });

  it('never renews a lease past its limit, even when a renewal falls due at the same time', async () => {
    const renewedAt: number[] = [];
    let started = 0;
    const { seen } = beat(async () => renewedAt.push(Date.now() - started) > 0, 30);
    started = Date.now(); // after the lease's own start: `Date.now() - started` never overstates its age
    await until(() => seen.limits.length === 1);
    await sleep(30);
    expect(renewedAt.every((at) => at < 30)).toBe(true);
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
