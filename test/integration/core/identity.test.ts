import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  IdempotencyError,
  IdempotencyScopeMissingError,
  type ScopeOption,
} from '../../../src/index.js';
import { resolveScope } from '../../../src/adapter-kit.js';
import { counter, engineStores, instrument, setupEngine } from '../../support/engine.js';

describe.each(engineStores('identity'))('record identity on the %s store', (_name, makeStore) => {
  const request = { operation: 'createCharge', key: 'key-1', input: { amount: 100 } };

  it('refuses a keyed request without a scope with 401 IDEMPOTENCY_SCOPE_MISSING: nothing runs, the store is not asked', async () => {
    const { store, calls: storeCalls } = instrument(makeStore());
    const { engine, events } = setupEngine(store);
    const { calls, run } = counter(() => 'charged');
    const attempt = engine.execute({ ...request, scope: undefined, run });
    await expect(attempt).rejects.toBeInstanceOf(IdempotencyScopeMissingError);
    await expect(attempt).rejects.toBeInstanceOf(IdempotencyError);
    await expect(attempt).rejects.toMatchObject({ code: 'IDEMPOTENCY_SCOPE_MISSING', status: 401 });
    await expect(engine.execute({ ...request, scope: undefined, run, required: false })).rejects.toMatchObject({
      status: 401,
    });
    expect(calls.count).toBe(0);
    expect(storeCalls.begin).toBe(0);
    expect(events).toEqual([
      { type: 'scope-missing', operation: 'createCharge', recordId: '' },
      { type: 'scope-missing', operation: 'createCharge', recordId: '' },
    ]);
  });

  it('refuses it in the two-phase attempt too, before the operation may run', async () => {
    const { engine } = setupEngine(makeStore());
    await expect(engine.begin({ ...request, scope: undefined })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_SCOPE_MISSING',
      status: 401,
    });
  });

  it('runs an unkeyed request without a scope, every time, storing nothing', async () => {
    const { store, calls: storeCalls } = instrument(makeStore());
    const { engine, events } = setupEngine(store);
    const { calls, run } = counter((): number => calls.count);
    await expect(engine.execute({ ...request, key: undefined, scope: undefined, run })).resolves.toEqual({
      value: 1,
      replayed: false,
    });
    await expect(engine.execute({ ...request, key: undefined, scope: undefined, run })).resolves.toEqual({
      value: 2,
      replayed: false,
    });
    expect(calls.count).toBe(2);
    expect(storeCalls.begin).toBe(0);
    expect(events).toEqual([]);
  });

  it('shares records in the anonymous scope (null), chosen on purpose', async () => {
    const { engine, types } = setupEngine(makeStore());
    const { calls, run } = counter(() => 'first anonymous caller');
    await expect(engine.execute({ ...request, scope: null, run })).resolves.toEqual({
      value: 'first anonymous caller',
      replayed: false,
    });
    await expect(engine.execute({ ...request, scope: null, run })).resolves.toEqual({
      value: 'first anonymous caller',
      replayed: true,
    });
    expect(calls.count).toBe(1);
    expect(types()).toEqual(['executed', 'replayed']);
  });

  it('keeps the anonymous scope apart from every named scope, and named scopes apart from each other', async () => {
    const { engine } = setupEngine(makeStore());
    const { calls, run } = counter((): number => calls.count);
    for (const scope of [null, 'user-1', 'user-2', 'null', '']) {
      await expect(engine.execute({ ...request, scope, run })).resolves.toMatchObject({ replayed: false });
    }
    expect(calls.count).toBe(5);
    await expect(engine.execute({ ...request, scope: 'user-1', run })).resolves.toEqual({ value: 2, replayed: true });
    expect(calls.count).toBe(5);
  });
});

describe('resolveScope', () => {
  it.each<[string, ScopeOption<{ user?: unknown }>, { user?: unknown }, string | null | undefined]>([
    ['false gives the shared anonymous scope', false, {}, null],
    ['a function returning undefined gives no identity', (context) => context.user as undefined, {}, undefined],
    ['a function returning null gives no identity (not the anonymous scope)', () => null, {}, undefined],
    ['a string is the scope', (context) => context.user as string, { user: 'u-1' }, 'u-1'],
    ['a number is turned into a string', () => 42, {}, '42'],
    ['zero is an identity', () => 0, {}, '0'],
    ['an async function is awaited', async () => 'tenant-7', {}, 'tenant-7'],
    ['an async null gives no identity', async () => null, {}, undefined],
    ['an empty string gives no identity', () => '', {}, undefined],
    ['negative zero is the identity "0"', () => -0, {}, '0'],
  ])('%s', async (_name, option, context, expected) => {
    await expect(resolveScope(option, context)).resolves.toBe(expected);
  });

  // Review A5 / B11: String(value) made every object "[object Object]", so Bob replayed Alice's result.
  it.each<[string, unknown, string]>([
    ['the user object instead of its id', { id: 'u1', name: 'Alice' }, 'object'],
    ['an object whose toString gives its id', { toString: () => 'u1' }, 'object'],
    ['an array', ['u1'], 'array'],
    ['a boolean', true, 'boolean'],
    ['NaN', Number.NaN, 'NaN'],
    ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
    ['a bigint', 1n, 'bigint'],
    ['a symbol', Symbol('u1'), 'symbol'],
    ['a function', () => 'u1', 'function'],
  ])(
    'refuses %s with a TypeError naming the option: a configuration error, never a shared scope',
    async (_name, value, got) => {
      const attempt = resolveScope(() => value as string, {});
      await expect(attempt).rejects.toBeInstanceOf(TypeError);
      await expect(attempt).rejects.toThrow(
        `idempotency option "scope" must return the caller's id as a string or number, got ${got}.`,
      );
      await expect(resolveScope(async () => value as string, {}, 'useIdempotency')).rejects.toThrow(
        /^useIdempotency: the option "scope" must return/,
      );
    },
  );

  it('gives two users whose scope function returns their user objects no shared record: nothing runs', async () => {
    const { engine } = setupEngine(createMemoryStore());
    const { calls, run } = counter(() => 'paid');
    const users = { alice: { id: 'u1', plan: 'pro' }, bob: { id: 'u2', plan: 'pro' } };
    const scope: ScopeOption<{ user: keyof typeof users }> = (context) => users[context.user] as unknown as string;
    for (const user of ['alice', 'bob'] as const) {
      const attempt = (async () =>
        engine.execute({
          scope: await resolveScope(scope, { user }),
          operation: 'pay',
          key: 'checkout-42',
          input: {},
          run,
        }))();
      await expect(attempt).rejects.toThrow(/got object/);
    }
    expect(calls.count).toBe(0);
  });

  it('a scope function that finds no user leads the engine to refuse a keyed request and run nothing', async () => {
    const { engine } = setupEngine(createMemoryStore());
    const { calls, run } = counter(() => 'ran');
    const scope = await resolveScope(() => null, {});
    await expect(engine.execute({ scope, operation: 'pay', key: 'k', input: {}, run })).rejects.toBeInstanceOf(
      IdempotencyScopeMissingError,
    );
    expect(calls.count).toBe(0);
  });
});
