import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyConcurrentRequestError,
  IdempotencyKeyMismatchError,
  IdempotencyKeyRequiredError,
  IdempotencyResultNotStoredError,
  IdempotencyScopeMissingError,
  IdempotencyStoreUnavailableError,
  type IdempotencyEvent,
  type IdempotencyOptions,
  type IdempotencyStore,
} from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

const redis = connectRedis();
const stores: Array<[string, () => IdempotencyStore]> = [
  ['memory', () => createMemoryStore()],
  ['redis', () => createRedisStore({ redis, prefix: uniquePrefix('engine') })],
];

/** An engine plus the events it emitted. */
function setup(makeStore: () => IdempotencyStore, options: IdempotencyOptions = {}) {
  const events: IdempotencyEvent[] = [];
  const engine = createIdempotencyEngine({ store: makeStore(), onEvent: (event) => events.push(event), ...options });
  const types = () => events.map((event) => event.type);
  return { engine, events, types };
}

/** A counting operation. */
function counter<T>(produce: () => T | Promise<T>) {
  const calls = { count: 0 };
  const run = async () => {
    calls.count++;
    return produce();
  };
  return { calls, run };
}

describe.each(stores)('engine on the %s store', (_name, makeStore) => {
  const request = { scope: 'user-1', operation: 'createCharge', key: 'key-1', input: { amount: 100 } };

  it('runs the first request once and replays the identical value with its types', async () => {
    const { engine, types } = setup(makeStore);
    const value = {
      at: new Date('2026-01-02T03:04:05.678Z'),
      amount: 12345678901234567890n,
      tags: new Set(['a', 'b']),
      byCurrency: new Map<string, unknown>([['EUR', { cents: 5, note: undefined }]]),
      nested: [{ when: new Date(0), missing: undefined }],
      nothing: undefined,
    };
    const { calls, run } = counter(() => value);
    const first = await engine.execute({ ...request, run });
    const second = await engine.execute({ ...request, run });
    expect(calls.count).toBe(1);
    expect(first).toEqual({ value, replayed: false });
    expect(second.replayed).toBe(true);
    expect(second.value).toEqual(value);
    expect(second.value.at).toBeInstanceOf(Date);
    expect(typeof second.value.amount).toBe('bigint');
    expect(second.value.tags).toBeInstanceOf(Set);
    expect(second.value.byCurrency).toBeInstanceOf(Map);
    expect(second.value.nested[0]!.when).toBeInstanceOf(Date);
    expect('nothing' in second.value).toBe(true);
    expect(types()).toEqual(['executed', 'replayed']);
  });

  it('replays an undefined result', async () => {
    const { engine } = setup(makeStore);
    const { calls, run } = counter(() => undefined);
    await engine.execute({ ...request, run });
    await expect(engine.execute({ ...request, run })).resolves.toEqual({ value: undefined, replayed: true });
    expect(calls.count).toBe(1);
  });

  it('treats input with reordered keys as the same request', async () => {
    const { engine } = setup(makeStore);
    const { calls, run } = counter(() => 'ok');
    await engine.execute({ ...request, input: { a: 1, b: 2 }, run });
    await expect(engine.execute({ ...request, input: { b: 2, a: 1 }, run })).resolves.toMatchObject({ replayed: true });
    expect(calls.count).toBe(1);
  });

  it('rejects the same key with other input with 422 and runs nothing', async () => {
    const { engine, types } = setup(makeStore);
    const { calls, run } = counter(() => 'ok');
    await engine.execute({ ...request, run });
    const attempt = engine.execute({ ...request, input: { amount: 999 }, run });
    await expect(attempt).rejects.toBeInstanceOf(IdempotencyKeyMismatchError);
    await expect(attempt).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH', status: 422 });
    expect(calls.count).toBe(1);
    expect(types()).toEqual(['executed', 'mismatch']);
  });

  it('keeps scopes and operations apart', async () => {
    const { engine } = setup(makeStore);
    const { calls, run } = counter((): number => calls.count);
    const results = await Promise.all([
      engine.execute({ ...request, run }),
      engine.execute({ ...request, scope: 'user-2', run }),
      engine.execute({ ...request, operation: 'refund', run }),
      engine.execute({ ...request, scope: null, run }),
    ]);
    expect(calls.count).toBe(4);
    expect(results.every((result) => !result.replayed)).toBe(true);
  });

  it('rejects a concurrent repeat with 409 and Retry-After while the first runs', async () => {
    const { engine, types } = setup(makeStore, { retryAfter: 2 });
    let finish: ((value: string) => void) | undefined;
    const first = engine.execute({ ...request, run: () => new Promise<string>((resolve) => (finish = resolve)) });
    while (!finish) await sleep(1);
    const { calls, run } = counter(() => 'second');
    const repeat = engine.execute({ ...request, run });
    await expect(repeat).rejects.toBeInstanceOf(IdempotencyConcurrentRequestError);
    await expect(repeat).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', status: 409, retryAfter: 2 });
    finish!('first');
    await expect(first).resolves.toEqual({ value: 'first', replayed: false });
    expect(calls.count).toBe(0);
    expect(types()).toEqual(['conflict', 'executed']);
  });

  it('with concurrent.wait, waits for the first and replays its result', async () => {
    const { engine } = setup(makeStore, { concurrent: { wait: 5_000 } });
    const { calls, run } = counter(async () => {
      await sleep(150);
      return { at: new Date(7) };
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => engine.execute({ ...request, run })));
    expect(calls.count).toBe(1);
    expect(results.filter((result) => result.replayed)).toHaveLength(19);
    for (const result of results) expect(result.value.at).toEqual(new Date(7));
  });

  it('with concurrent.wait, still rejects when the first outlasts the wait', async () => {
    const { engine } = setup(makeStore, { concurrent: { wait: 100 } });
    let started = false;
    const first = engine.execute({ ...request, run: () => ((started = true), sleep(400).then(() => 'slow')) });
    while (!started) await sleep(1);
    const { calls, run } = counter(() => 'never');
    await expect(engine.execute({ ...request, run })).rejects.toBeInstanceOf(IdempotencyConcurrentRequestError);
    await first;
    expect(calls.count).toBe(0);
  });

  it('with concurrent.wait, runs the operation itself when the first attempt fails and frees the key', async () => {
    const { engine } = setup(makeStore, { concurrent: { wait: 5_000 } });
    let started = false;
    const first = engine.execute({
      ...request,
      run: () => ((started = true), sleep(150).then(() => Promise.reject(new Error('first failed')))),
    });
    while (!started) await sleep(1);
    const { calls, run } = counter(() => 'waiter ran');
    const waiter = engine.execute({ ...request, run });
    await expect(first).rejects.toThrow('first failed');
    await expect(waiter).resolves.toEqual({ value: 'waiter ran', replayed: false });
    expect(calls.count).toBe(1);
  });

  it('releases the record when the operation throws, so the retry runs again', async () => {
    const { engine, types } = setup(makeStore);
    let attempt = 0;
    const run = async () => {
      attempt++;
      if (attempt === 1) throw new Error('database timeout');
      return 'second attempt';
    };
    await expect(engine.execute({ ...request, run })).rejects.toThrow('database timeout');
    await expect(engine.execute({ ...request, run })).resolves.toEqual({ value: 'second attempt', replayed: false });
    await expect(engine.execute({ ...request, run })).resolves.toEqual({ value: 'second attempt', replayed: true });
    expect(attempt).toBe(2);
    expect(types()).toEqual(['released', 'executed', 'replayed']);
  });

  it('releases the record when shouldStore says no', async () => {
    const { engine } = setup(makeStore);
    const { calls, run } = counter(() => ({ ok: false }));
    await engine.execute({ ...request, run, shouldStore: (value) => value.ok });
    await engine.execute({ ...request, run, shouldStore: (value) => value.ok });
    expect(calls.count).toBe(2);
  });

  it('stores the result when shouldStore throws (the default policy decides) and reports a policy-error', async () => {
    const { engine, types } = setup(makeStore);
    const { calls, run } = counter(() => 'ok');
    const shouldStore = () => {
      throw new Error('broken policy');
    };
    await expect(engine.execute({ ...request, run, shouldStore })).resolves.toEqual({ value: 'ok', replayed: false });
    await expect(engine.execute({ ...request, run })).resolves.toEqual({ value: 'ok', replayed: true });
    expect(calls.count).toBe(1);
    expect(types()).toEqual(['policy-error', 'executed', 'replayed']);
  });

  it('stores and replays through the codec passed with the request', async () => {
    const { engine } = setup(makeStore);
    const written: string[] = [];
    const codec = {
      stringify: (value: { cents: number }) => {
        const text = `cents=${value.cents}`;
        written.push(text);
        return text;
      },
      parse: (text: string) => ({ cents: Number(text.slice('cents='.length)), parsed: true }),
    };
    const { calls, run } = counter(() => ({ cents: 250 }));
    await expect(engine.execute({ ...request, run, codec })).resolves.toEqual({
      value: { cents: 250 },
      replayed: false,
    });
    await expect(engine.execute({ ...request, run, codec })).resolves.toEqual({
      value: { cents: 250, parsed: true },
      replayed: true,
    });
    expect(written).toEqual(['cents=250']);
    expect(calls.count).toBe(1);
  });

  it('does not store a result its codec cannot stringify; repeats get 500 and never run it again', async () => {
    const { engine, events, types } = setup(makeStore);
    const cannot = new TypeError('circular structure');
    const codec = {
      stringify: (): string => {
        throw cannot;
      },
      parse: (text: string) => text,
    };
    const { calls, run } = counter(() => 'charged');
    await expect(engine.execute({ ...request, run, codec })).resolves.toEqual({ value: 'charged', replayed: false });
    const repeat = engine.execute({ ...request, run, codec });
    await expect(repeat).rejects.toBeInstanceOf(IdempotencyResultNotStoredError);
    await expect(repeat).rejects.toMatchObject({ code: 'IDEMPOTENCY_RESULT_NOT_STORED', status: 500 });
    await expect(engine.execute({ ...request, run })).rejects.toBeInstanceOf(IdempotencyResultNotStoredError);
    expect(calls.count).toBe(1);
    expect(types()).toEqual(['result-not-stored', 'executed']);
    expect(events[0]).toMatchObject({ type: 'result-not-stored', fence: 1, error: cannot });
  });

  it('runs unkeyed requests every time, or rejects them when a key is required', async () => {
    const { engine } = setup(makeStore);
    const { calls, run } = counter(() => 'ok');
    await engine.execute({ ...request, key: undefined, run });
    await engine.execute({ ...request, key: undefined, run });
    expect(calls.count).toBe(2);
    const strict = setup(makeStore, { required: true }).engine;
    await expect(strict.execute({ ...request, key: undefined, run })).rejects.toBeInstanceOf(
      IdempotencyKeyRequiredError,
    );
    await expect(engine.execute({ ...request, key: undefined, run, required: true })).rejects.toMatchObject({
      status: 400,
      code: 'IDEMPOTENCY_KEY_REQUIRED',
    });
    expect(calls.count).toBe(2);
  });

  it('hands run() the key and a fence that grows with every acquisition', async () => {
    const { engine } = setup(makeStore);
    const seen: Array<[string | undefined, number | undefined]> = [];
    const fail = async ({ key, fence }: { key: string | undefined; fence: number | undefined }) => {
      seen.push([key, fence]);
      throw new Error('retry me');
    };
    await expect(engine.execute({ ...request, run: fail })).rejects.toThrow();
    await expect(engine.execute({ ...request, run: fail })).rejects.toThrow();
    expect(seen).toEqual([
      ['key-1', 1],
      ['key-1', 2],
    ]);
  });

  it('renews the lease while a long operation runs, so a repeat is not taken over', async () => {
    const { engine, types } = setup(makeStore, { lease: 150 });
    const first = engine.execute({ ...request, run: () => sleep(600).then(() => 'long') });
    await sleep(400);
    const { calls, run } = counter(() => 'intruder');
    await expect(engine.execute({ ...request, run })).rejects.toBeInstanceOf(IdempotencyConcurrentRequestError);
    await expect(first).resolves.toEqual({ value: 'long', replayed: false });
    expect(calls.count).toBe(0);
    expect(types()).not.toContain('takeover');
  });

  it('does not store a result over maxResultBytes and refuses its repeats rather than running twice', async () => {
    const { engine, types } = setup(makeStore, { maxResultBytes: 1_000 });
    const { calls, run } = counter(() => 'x'.repeat(2_000));
    await expect(engine.execute({ ...request, run })).resolves.toMatchObject({ replayed: false });
    await expect(engine.execute({ ...request, run })).rejects.toBeInstanceOf(IdempotencyResultNotStoredError);
    expect(calls.count).toBe(1);
    expect(types()).toEqual(['result-not-stored', 'executed']);
  });

  it('survives an event handler that throws', async () => {
    const engine = createIdempotencyEngine({
      store: makeStore(),
      onEvent: () => {
        throw new Error('broken logger');
      },
    });
    await expect(engine.execute({ ...request, run: async () => 'ok' })).resolves.toEqual({
      value: 'ok',
      replayed: false,
    });
  });
});

describe('engine options and scopes', () => {
  it.each([
    [{ ttl: 0 }, /"ttl"/],
    [{ ttl: 1.5 }, /"ttl"/],
    [
      { lease: 20_000, ttl: 10_000 },
      /"ttl" must be at least "maxRunTime" \+ "lease" \(300000 \+ 20000 = 320000 ms\), got 10000/,
    ],
    // ttl ≥ lease alone is not enough: the record must outlive the last renewal (at maxRunTime) plus a lease.
    [{ lease: 600, ttl: 600, maxRunTime: 600 }, /"ttl" must be at least "maxRunTime" \+ "lease"/],
    [{ lease: 1_000, ttl: 60_000 }, /"ttl" must be at least "maxRunTime" \+ "lease" \(300000 \+ 1000/],
    [{ lease: -1 }, /"lease"/],
    [{ retryAfter: 0.5 }, /"retryAfter"/],
    [{ maxKeyLength: 0 }, /"maxKeyLength"/],
    [{ maxResultBytes: Number.NaN }, /"maxResultBytes"/],
    [{ concurrent: { wait: -5 } }, /"concurrent.wait"/],
    [{ concurrent: 'queue' as never }, /"concurrent"/],
    [{ failMode: 'sometimes' as never }, /"failMode"/],
    [{ lease: 10_000, maxRunTime: 9_999 }, /"maxRunTime" must be a whole number ≥ 10000/],
    [{ maxRunTime: 5_000 }, /"maxRunTime" must be a whole number ≥ 10000/],
    [{ maxRunTime: 60_000.5 }, /"maxRunTime"/],
    [{ completionRetry: -1 }, /"completionRetry" must be a whole number ≥ 0/],
    [{ completionRetry: 0.5 }, /"completionRetry"/],
    [{ completionRetry: 2 ** 53 }, /"completionRetry"/],
  ])('rejects %j at construction', (options, message) => {
    expect(() => createIdempotencyEngine(options)).toThrow(TypeError);
    expect(() => createIdempotencyEngine(options)).toThrow(message);
  });

  it.each([
    { lease: 1_000, maxRunTime: 1_000 },
    { completionRetry: 0 },
    { lease: 50, ttl: 100, maxRunTime: 50, completionRetry: 10_000 },
    { lease: 1_000, ttl: 60_000, maxRunTime: 59_000 },
  ])('accepts %j', (options) => {
    expect(() => createIdempotencyEngine(options)).not.toThrow();
  });

  it('refuses a keyed operation whose scope is undefined (401) and runs nothing; an unkeyed one runs', async () => {
    const { engine, types } = setup(() => createMemoryStore());
    const { calls, run } = counter((): number => calls.count);
    const request = { scope: undefined, operation: 'pay', key: 'k', input: {}, run };
    await expect(engine.execute(request)).rejects.toBeInstanceOf(IdempotencyScopeMissingError);
    await expect(engine.execute(request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_SCOPE_MISSING', status: 401 });
    expect(calls.count).toBe(0);
    await expect(engine.execute({ ...request, key: undefined })).resolves.toEqual({ value: 1, replayed: false });
    await expect(engine.execute({ ...request, key: undefined })).resolves.toEqual({ value: 2, replayed: false });
    expect(types()).toEqual(['scope-missing', 'scope-missing']);
  });

  it('stops renewing a lease that another attempt took over', async () => {
    let clock = 0;
    const memory = createMemoryStore({ now: () => clock });
    let extendsAfterTakeover = 0;
    let takenOver = false;
    const store: IdempotencyStore = {
      ...memory,
      extend: async (request) => {
        if (takenOver) extendsAfterTakeover++;
        return memory.extend(request);
      },
    };
    const holder = createIdempotencyEngine({ store, lease: 60 });
    let finish: (() => void) | undefined;
    const held = holder.execute({
      scope: 'u',
      operation: 'pay',
      key: 'k',
      input: {},
      run: () => new Promise<string>((resolve) => (finish = () => resolve('late'))),
    });
    while (!finish) await sleep(1); // the body runs: the holder has acquired the record
    clock += 1_000; // the holder's lease lapses without its heartbeat having run
    await expect(
      createIdempotencyEngine({ store: memory }).execute({
        scope: 'u',
        operation: 'pay',
        key: 'k',
        input: {},
        run: async () => 'rescuer',
      }),
    ).resolves.toEqual({ value: 'rescuer', replayed: false });
    takenOver = true;
    await sleep(200); // ten heartbeat periods
    finish!();
    await held;
    expect(extendsAfterTakeover).toBe(1);
  });
});

describe("failMode: 'open' with concurrent: { wait } (review B4)", () => {
  const request = { scope: 'u', operation: 'pay', key: 'k', input: { amount: 5 } };
  const options = { failMode: 'open', concurrent: { wait: 2_000 } } as const;

  it('answers 503 and runs nothing when the store fails after the record was seen running: never a run beside the holder', async () => {
    const memory = createMemoryStore();
    let waiterBegins = 0;
    // The waiter's store: its first begin reaches the store (the record is running), every later one fails.
    const flaky: IdempotencyStore = {
      ...memory,
      begin: async (beginRequest) => {
        if (++waiterBegins > 1) throw new Error('store blip');
        return memory.begin(beginRequest);
      },
    };
    let runs = 0;
    let finishHolder!: (value: string) => void;
    const holder = createIdempotencyEngine({ store: memory, ...options });
    const held = holder.execute({
      ...request,
      run: () => (runs++, new Promise<string>((resolve) => (finishHolder = resolve))),
    });
    while (!finishHolder) await sleep(1);
    const waiter = setup(() => flaky, options);
    await expect(waiter.engine.execute({ ...request, run: async () => (runs++, 'waiter') })).rejects.toBeInstanceOf(
      IdempotencyStoreUnavailableError,
    );
    expect(waiterBegins).toBe(2);
    expect(runs).toBe(1);
    expect(waiter.types()).toEqual(['store-error']);
    finishHolder('holder');
    await expect(held).resolves.toEqual({ value: 'holder', replayed: false });
    await expect(holder.execute({ ...request, run: async () => (runs++, 'again') })).resolves.toEqual({
      value: 'holder',
      replayed: true,
    });
    expect(runs).toBe(1);
  });

  it('still fails open when the first begin fails: the body runs without a record', async () => {
    const down: IdempotencyStore = { ...createMemoryStore(), begin: () => Promise.reject(new Error('store down')) };
    const { engine, types } = setup(() => down, options);
    await expect(
      engine.execute({ ...request, run: async ({ fence }) => `ran with fence ${String(fence)}` }),
    ).resolves.toEqual({ value: 'ran with fence undefined', replayed: false });
    expect(types()).toEqual(['store-error']);
  });
});

describe.each(stores)(
  'fencing after a lapse with the shortest valid ttl on the %s store (review B11)',
  (_name, makeStore) => {
    it('a holder stuck past maxRunTime: a retry after its lease gets fence 2 and takeover, because ttl ≥ maxRunTime + lease keeps the record', async () => {
      const lease = 200;
      const maxRunTime = 200;
      // Validation refuses ttl < maxRunTime + lease; with the record alive one lease beyond that, the retry below falls in it.
      const { engine, types } = setup(makeStore, { lease, maxRunTime, ttl: maxRunTime + 3 * lease });
      const contexts: { fence: number | undefined; takeover: boolean }[] = [];
      let finishFirst!: (value: string) => void;
      const first = engine.execute({
        scope: 'u',
        operation: 'pay',
        key: 'stuck',
        input: {},
        run: ({ fence, takeover }) => (
          contexts.push({ fence, takeover }),
          new Promise<string>((resolve) => (finishFirst = resolve))
        ),
      });
      while (!finishFirst) await sleep(1);
      await sleep(maxRunTime + lease + 150); // the heartbeat stopped at maxRunTime; the last lease has lapsed
      const second = await engine.execute({
        scope: 'u',
        operation: 'pay',
        key: 'stuck',
        input: {},
        run: async ({ fence, takeover }) => (contexts.push({ fence, takeover }), 'second'),
      });
      finishFirst('first');
      await expect(first).resolves.toEqual({ value: 'first', replayed: false });
      expect(second).toEqual({ value: 'second', replayed: false });
      expect(contexts).toEqual([
        { fence: 1, takeover: false },
        { fence: 2, takeover: true },
      ]);
      expect(types()).toEqual(['run-limit-exceeded', 'takeover', 'executed', 'stale-completion']);
    });
  },
);
