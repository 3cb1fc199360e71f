import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/index.js';
import { deferred, engineStores, instrument, setupEngine, until } from '../../support/engine.js';

/**
 * `maxRunTime`: the last resort against an attempt nobody finishes. Past it the heartbeat stops
 * (`run-limit-exceeded`), the lease lapses, and a retry takes the record over, fenced.
 */
describe.each(engineStores('run-limit'))('maxRunTime on the %s store', (_name, makeStore) => {
  const request = { scope: 'user-1', operation: 'createCharge', key: 'never-finishes', input: { amount: 100 } };

  it('stops renewing a body that never finishes, and a retry takes it over after the lease with fence 2', async () => {
    const base = makeStore();
    const { store, calls: storeCalls } = instrument(base);
    const holder = setupEngine(store, { lease: 30, maxRunTime: 100 });
    const hang = deferred<string>();
    const contexts: RunContext[] = [];
    const started = Date.now();
    const held = holder.engine.execute({
      ...request,
      run: (context) => {
        contexts.push(context);
        return hang.promise;
      },
    });
    await until(() => contexts.length === 1);

    await until(() => holder.types().includes('run-limit-exceeded'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    // Until maxRunTime the heartbeat renewed the 30 ms lease (every 10 ms).
    const extendsAtLimit = storeCalls.extend;
    expect(extendsAtLimit).toBeGreaterThanOrEqual(3);
    expect(holder.events.find((event) => event.type === 'run-limit-exceeded')).toMatchObject({
      operation: 'createCharge',
      fence: 1,
    });

    await sleep(120); // twelve heartbeat periods, four leases
    expect(storeCalls.extend).toBe(extendsAtLimit);

    const rescuer = setupEngine(base);
    let rescues = 0;
    const rescue = async (context: RunContext) => {
      rescues++;
      contexts.push(context);
      return 'rescued';
    };

    await expect(rescuer.engine.execute({ ...request, run: rescue })).resolves.toEqual({
      value: 'rescued',
      replayed: false,
    });
    expect(rescues).toBe(1);
    expect(contexts.map(({ fence, takeover, previousFence }) => ({ fence, takeover, previousFence }))).toEqual([
      { fence: 1, takeover: false, previousFence: undefined },
      { fence: 2, takeover: true, previousFence: 1 },
    ]);
    expect(rescuer.types()).toEqual(['takeover', 'executed']);

    // The stalled body ends at last: its caller gets its value, its completion is refused and reported.
    hang.resolve('late');
    await expect(held).resolves.toEqual({ value: 'late', replayed: false });
    expect(holder.types()).toEqual(['run-limit-exceeded', 'stale-completion']);
    await expect(rescuer.engine.execute({ ...request, run: rescue })).resolves.toEqual({
      value: 'rescued',
      replayed: true,
    });
    expect(rescues).toBe(1);
  });

  it('does not fire for a body that finishes within maxRunTime', async () => {
    // A wide margin between the body (40 ms) and the limit (1 s), so a loaded machine cannot blur them.
    const { engine, types } = setupEngine(makeStore(), { lease: 30, maxRunTime: 1_000 });
    let runs = 0;
    const run = () => sleep(40).then(() => ++runs);
    await expect(engine.execute({ ...request, key: 'quick', run })).resolves.toEqual({ value: 1, replayed: false });
    await sleep(1_100);
    await expect(engine.execute({ ...request, key: 'quick', run })).resolves.toEqual({ value: 1, replayed: true });
    expect(runs).toBe(1);
    expect(types()).toEqual(['executed', 'replayed']);
  });
});
