// Engine phases (issue #17 item 2): begin → replayed | refused | running { finish, abandon }.
import { describe, expect, it, vi } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  type ExecutionEnd,
  type IdempotencyEvent,
  type IdempotencyOptions,
  type IdempotencyStore,
} from '../../../src/index.js';
import { countingStore } from './counting-store.js';

const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 1 } };

function setup(options: IdempotencyOptions = {}, inner: IdempotencyStore = createMemoryStore()) {
  const counting = countingStore(inner);
  const events: IdempotencyEvent[] = [];
  const ends: ExecutionEnd[] = [];
  const engine = createIdempotencyEngine({
    store: counting.store,
    onEvent: (event) => events.push(event),
    instrument: () => ({ end: (ending) => ends.push(ending) }),
    ...options,
  });
  return { engine, counting, ends, types: () => events.map((event) => event.type) };
}

/** A store whose every call fails, as a store that is down. */
const downStore: IdempotencyStore = {
  begin: () => Promise.reject(new Error('down')),
  extend: () => Promise.reject(new Error('down')),
  complete: () => Promise.reject(new Error('down')),
  release: () => Promise.reject(new Error('down')),
};

async function running<T>(engine: ReturnType<typeof setup>['engine'], input: unknown = request.input) {
  const attempt = await engine.begin<T>({ ...request, input });
  if (attempt.status !== 'running') throw new Error(`expected a running attempt, got ${attempt.status}`);
  return attempt;
}

describe('engine.begin answers a replay, or refuses with the typed errors', () => {
  it('replays a completed record from begin, telling the observer it was a replay', async () => {
    const { engine, ends } = setup();
    await (await running<string>(engine)).finish('paid');
    await expect(engine.begin<string>(request)).resolves.toEqual({ status: 'replayed', value: 'paid' });
    expect(ends).toEqual([
      { ok: true, replayed: false },
      { ok: true, replayed: true },
    ]);
  });

  it('refuses a missing key when required, and a keyed request without scope', async () => {
    const { engine } = setup({ required: true });
    await expect(engine.begin({ ...request, key: undefined })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REQUIRED',
      status: 400,
    });
    await expect(engine.begin({ ...request, scope: undefined })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_SCOPE_MISSING',
      status: 401,
    });
  });

  it('refuses a repeat while running (409), another input (422), and a result that was not stored (500)', async () => {
    const { engine, ends } = setup({ maxResultBytes: 4 });
    const first = await running<string>(engine);
    await expect(engine.begin(request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', status: 409 });
    await expect(engine.begin({ ...request, input: { amount: 2 } })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
      status: 422,
    });
    await first.finish('longer than four bytes');
    await expect(engine.begin(request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_RESULT_NOT_STORED', status: 500 });
    expect(ends.filter((ending) => !ending.ok)).toHaveLength(3);
  });

  it('refuses with 503 when the store is down (failMode closed)', async () => {
    const { engine, types } = setup({}, downStore);
    await expect(engine.begin(request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_STORE_UNAVAILABLE', status: 503 });
    expect(types()).toEqual(['store-error']);
  });
});

describe('a running attempt ends once, with finish or abandon', () => {
  it('stores the first finish only: later finish and abandon calls return its promise and send nothing', async () => {
    const { engine, counting, types } = setup();
    const attempt = await running<string>(engine);
    const first = attempt.finish('first');
    expect(attempt.finish('second')).toBe(first);
    expect(attempt.abandon(new Error('late'))).toBe(first);
    await first;
    expect(counting.calls).toMatchObject({ complete: 1, release: 0 });
    expect(types()).toEqual(['executed']);
    await expect(engine.begin<string>(request)).resolves.toEqual({ status: 'replayed', value: 'first' });
  });

  it('frees the key on abandon, and a finish after it stores nothing: the next attempt runs with fence 2', async () => {
    const { engine, counting, ends } = setup();
    const attempt = await running<string>(engine);
    const error = new Error('the body threw');
    await attempt.abandon(error);
    await attempt.finish('too late');
    expect(counting.calls).toMatchObject({ complete: 0, release: 1 });
    expect(ends).toEqual([{ ok: false, error }]);
    const next = await running<string>(engine);
    expect(next.context).toMatchObject({ key: 'k', fence: 2, takeover: false });
    await next.finish('done');
  });

  it('judges a value by the outcome handed to finish, else by the request’s outcome, else as returned', async () => {
    const { engine } = setup();
    const thrown = await running<string>(engine);
    await thrown.finish('unexpected', { returned: false, coded: false });
    const byRequest = await engine.begin<string>({ ...request, outcome: () => ({ returned: false, coded: false }) });
    if (byRequest.status !== 'running') throw new Error('expected the freed key to run again');
    expect(byRequest.context.fence).toBe(2);
    await byRequest.finish('transient');
    const returned = await running<string>(engine);
    expect(returned.context.fence).toBe(3);
    await returned.finish('kept');
    await expect(engine.begin<string>(request)).resolves.toEqual({ status: 'replayed', value: 'kept' });
  });

  it('renews the lease between begin and finish, and stops renewing once finished', async () => {
    const { engine, counting } = setup({ lease: 60, ttl: 120_000, maxRunTime: 60_000 });
    const attempt = await running<string>(engine);
    // Several leases pass without finish: the heartbeat keeps the record, so a repeat is still refused.
    await vi.waitFor(() => expect(counting.calls.extend).toBeGreaterThanOrEqual(6), { timeout: 30_000 });
    await expect(engine.begin(request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST' });
    await attempt.finish('done');
    const renewals = counting.calls.extend;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(counting.calls.extend).toBe(renewals);
    await expect(engine.begin<string>(request)).resolves.toEqual({ status: 'replayed', value: 'done' });
  });
});

describe('attempts that hold no record', () => {
  it('fails open when the store is down with failMode open: a running attempt without fence whose ends store nothing', async () => {
    const counting = countingStore(downStore);
    const ends: ExecutionEnd[] = [];
    const engine = createIdempotencyEngine({
      store: counting.store,
      failMode: 'open',
      instrument: () => ({ end: (ending) => ends.push(ending) }),
    });
    const attempt = await engine.begin<string>(request);
    expect(attempt).toMatchObject({ status: 'running', context: { key: 'k', fence: undefined, takeover: false } });
    if (attempt.status !== 'running') return;
    await expect(attempt.finish('ran without idempotency')).resolves.toBeUndefined();
    await expect(attempt.abandon(new Error('ignored'))).resolves.toBeUndefined();
    expect(counting.calls).toEqual({ extend: 0, complete: 0, release: 0 });
    expect(ends).toEqual([{ ok: true, replayed: false }]);
  });

  it('runs an unkeyed request with no record, no events and no observer', async () => {
    const { engine, counting, ends, types } = setup();
    const attempt = await engine.begin<string>({ ...request, key: undefined });
    expect(attempt).toMatchObject({ status: 'running', context: { key: undefined, fence: undefined } });
    if (attempt.status === 'running') await attempt.finish('done');
    expect(counting.begins).toHaveLength(0);
    expect(types()).toEqual([]);
    expect(ends).toEqual([]);
  });
});
