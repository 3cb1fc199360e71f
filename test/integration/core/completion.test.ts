import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { IdempotencyConcurrentRequestError, type RunContext } from '../../../src/index.js';
import { counter, engineStores, instrument, setupEngine, until } from '../../support/engine.js';

/**
 * A store blip while the outcome is written: `complete` / `release` fail a few times. The engine
 * retries them with backoff (for `completionRetry`, by default the lease) while the heartbeat keeps
 * the lease, so the body never runs twice and the caller still gets its result.
 */
describe.each(engineStores('completion'))('completion through a store blip on the %s store', (_name, makeStore) => {
  const request = { scope: 'user-1', operation: 'createCharge', input: { amount: 100 } };
  let keys = 0;
  const freshKey = () => `completion-${++keys}`;

  it('retries a failing complete: the body ran once, the caller got its value, the retry replays it', async () => {
    const { store, calls: storeCalls } = instrument(makeStore(), { complete: { times: 3 } });
    const { engine, events, types } = setupEngine(store, { lease: 1_000 });
    const key = freshKey();
    const { calls, run } = counter(() => ({ charged: 100 }));
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({
      value: { charged: 100 },
      replayed: false,
    });
    expect(storeCalls.complete).toBe(4);
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({
      value: { charged: 100 },
      replayed: true,
    });
    expect(calls.count).toBe(1);
    expect(types()).toEqual(['store-error', 'store-error', 'store-error', 'executed', 'replayed']);
    for (const event of events.slice(0, 3)) {
      expect(event).toMatchObject({
        operation: 'createCharge',
        fence: 1,
        error: expect.objectContaining({ message: 'complete: store blip' }),
      });
    }
  });

  it('retries a failing release after the body threw: the caller gets the body’s error, the retry runs with fence 2', async () => {
    const { store, calls: storeCalls } = instrument(makeStore(), { release: { times: 3 } });
    const { engine, types } = setupEngine(store, { lease: 1_000 });
    const key = freshKey();
    const seen: Array<[number | undefined, boolean]> = [];
    const run = async ({ fence, takeover }: RunContext) => {
      seen.push([fence, takeover]);
      if (seen.length === 1) throw new Error('payment provider timeout');
      return 'charged';
    };
    await expect(engine.execute({ ...request, key, run })).rejects.toThrow('payment provider timeout');
    expect(storeCalls.release).toBe(4);
    // Freed at once, not left to lapse: the retry within the lease runs, and it is no takeover.
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'charged', replayed: false });
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'charged', replayed: true });
    expect(seen).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(types()).toEqual(['store-error', 'store-error', 'store-error', 'released', 'executed', 'replayed']);
  });

  it('retries a failing release after shouldStore said no: the caller gets its value, the retry runs again', async () => {
    const { store } = instrument(makeStore(), { release: { times: 2 } });
    const { engine, count } = setupEngine(store, { lease: 1_000 });
    const key = freshKey();
    const { calls, run } = counter(() => ({ ok: false }));
    await expect(engine.execute({ ...request, key, run, shouldStore: () => false })).resolves.toEqual({
      value: { ok: false },
      replayed: false,
    });
    await expect(engine.execute({ ...request, key, run, shouldStore: () => false })).resolves.toEqual({
      value: { ok: false },
      replayed: false,
    });
    expect(calls.count).toBe(2);
    expect(count('store-error')).toBe(2);
    expect(count('released')).toBe(2);
  });

  it('keeps renewing the lease while completion is retried, so no repeat runs the body meanwhile', async () => {
    const base = makeStore();
    // Twenty failures: 25 ms, then 30 ms apart (a fifth of the lease), about four leases of 150 ms.
    const { store, calls: storeCalls, log } = instrument(base, { complete: { times: 20 } });
    const { engine, count } = setupEngine(store, { lease: 150, completionRetry: 5_000 });
    const key = freshKey();
    const { calls, run } = counter(() => 'charged');
    const first = engine.execute({ ...request, key, run });
    await until(() => storeCalls.complete >= 1);
    await sleep(400); // well past the lease: only the heartbeat holds the record now

    const intruder = setupEngine(base);
    const { calls: intruderCalls, run: intruderRun } = counter(() => 'charged twice');
    await expect(intruder.engine.execute({ ...request, key, run: intruderRun })).rejects.toBeInstanceOf(
      IdempotencyConcurrentRequestError,
    );
    expect(intruder.types()).toEqual(['conflict']);

    await expect(first).resolves.toEqual({ value: 'charged', replayed: false });
    const during = log.slice(log.indexOf('complete!'), log.lastIndexOf('complete'));
    expect(during.filter((call) => call === 'extend').length).toBeGreaterThanOrEqual(5);
    expect(during.filter((call) => call === 'complete!')).toHaveLength(20);
    expect(count('store-error')).toBe(20);
    expect(count('executed')).toBe(1);

    await expect(intruder.engine.execute({ ...request, key, run: intruderRun })).resolves.toEqual({
      value: 'charged',
      replayed: true,
    });
    expect(calls.count).toBe(1);
    expect(intruderCalls.count).toBe(0);
  });

  it('with a budget of 0, gives the caller its value after one failed complete and lets the lease lapse', async () => {
    const base = makeStore();
    const { store, calls: storeCalls, log } = instrument(base, { complete: { times: Infinity } });
    const { engine, types } = setupEngine(store, { lease: 200, completionRetry: 0 });
    const key = freshKey();
    const seen: RunContext[] = [];
    const run = async (context: RunContext) => {
      seen.push(context);
      return `attempt ${seen.length}`;
    };
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'attempt 1', replayed: false });
    expect(storeCalls.complete).toBe(1);
    expect(types()).toEqual(['store-error']);
    const extendsAtSettle = storeCalls.extend;

    // Not freed: a repeat within the lease is refused …
    await expect(setupEngine(base).engine.execute({ ...request, key, run })).rejects.toBeInstanceOf(
      IdempotencyConcurrentRequestError,
    );
    await sleep(350);
    // … and, the heartbeat stopped, not stuck beyond it: the retry takes the record over.
    expect(storeCalls.extend).toBe(extendsAtSettle);
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'attempt 2', replayed: false });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ fence: 2, takeover: true, previousFence: 1 });
    expect(log.filter((call) => call === 'begin')).toHaveLength(2);
    expect(types()).toEqual(['store-error', 'takeover', 'store-error']);
  });

  it('after the budget, the caller gets its value and every failure was reported; the lease then lapses', async () => {
    const base = makeStore();
    const { store, calls: storeCalls } = instrument(base, { complete: { times: Infinity } });
    const { engine, events, count } = setupEngine(store, { lease: 200, completionRetry: 150 });
    const key = freshKey();
    const { calls, run } = counter(() => 'charged');
    const started = Date.now();
    await expect(engine.execute({ ...request, key, run })).resolves.toEqual({ value: 'charged', replayed: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(storeCalls.complete).toBeGreaterThanOrEqual(3);
    expect(count('store-error')).toBe(storeCalls.complete);
    expect(events.every((event) => event.type === 'store-error' && event.fence === 1)).toBe(true);

    await sleep(300);
    const rescuer = setupEngine(base);
    const { calls: rescuerCalls, run: rescuerRun } = counter(() => 'charged by the rescuer');
    await expect(rescuer.engine.execute({ ...request, key, run: rescuerRun })).resolves.toEqual({
      value: 'charged by the rescuer',
      replayed: false,
    });
    expect(rescuer.types()).toEqual(['takeover', 'executed']);
    expect(calls.count).toBe(1);
    expect(rescuerCalls.count).toBe(1);
  });

  it('with a budget of 0 and a failing release, the caller gets the body’s error and the retry takes over after the lease', async () => {
    const base = makeStore();
    const { store } = instrument(base, { release: { times: Infinity } });
    const { engine, types } = setupEngine(store, { lease: 200, completionRetry: 0 });
    const key = freshKey();
    await expect(
      engine.execute({ ...request, key, run: () => Promise.reject(new Error('declined by the bank')) }),
    ).rejects.toThrow('declined by the bank');
    expect(types()).toEqual(['store-error']);
    await sleep(350);
    const seen: RunContext[] = [];
    const rescuer = setupEngine(base);
    await expect(
      rescuer.engine.execute({
        ...request,
        key,
        run: async (context) => {
          seen.push(context);
          return 'ok';
        },
      }),
    ).resolves.toEqual({ value: 'ok', replayed: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ fence: 2, takeover: true, previousFence: 1 });
  });
});
