import superjson, { SuperJSON } from 'superjson';
import { describe, expect, it } from 'vitest';
import { superjsonInstance as serializer } from '../../../src/core/serializer.js';
import { MAX_STORED_DEPTH, superjsonRegistries, unstorablePart } from '../../../src/trpc/storable.js';

class Plain {
  constructor(readonly id: number) {}
}
const registered = new SuperJSON();
registered.registerClass(Plain, 'storable-test-Plain');
const ORDER = Symbol('order');
registered.registerSymbol(ORDER, 'storable-test-order');

const library = superjsonRegistries(serializer);
const app = superjsonRegistries(registered);

describe('unstorablePart(): what in an output a replay could not give back', () => {
  it('finds the superjson registries of an instance and of the default export', () => {
    expect(library).toBe(serializer);
    expect(superjsonRegistries(superjson)).toBeDefined();
    expect(
      superjsonRegistries({ serialize: (value: unknown) => value, deserialize: (value: unknown) => value }),
    ).toBeUndefined();
  });

  it('accepts the values superjson restores as they were', () => {
    const output = {
      text: 'a',
      list: [1, null, undefined, 2n, true],
      at: new Date(0),
      ledger: new Map<unknown, unknown>([[{ id: 1 }, new Set([1, 'x'])]]),
      pattern: /x/g,
      link: new URL('https://example.com'),
      problem: new Error('declined'),
      bytes: new Uint8Array([1, 2]),
      bare: Object.assign(Object.create(null) as object, { a: 1 }),
    };
    expect(unstorablePart(output, library)).toBeUndefined();
    expect(unstorablePart(output, undefined)).toBeUndefined();
  });

  it.each([
    ['a Promise', { order: { receipt: Promise.resolve('r') } }, 'output.order.receipt is a Promise'],
    ['a thenable', [{ then: (resolve: (value: number) => void) => resolve(1) }], 'output[0] is a Promise'],
    ['an async iterable', { rows: (async function* () {})() }, 'output.rows is an async iterable (a stream)'],
    ['a function', { format: () => 'x' }, 'output.format is a function'],
    ['a promise in a Map', new Map([['k', Promise.resolve(1)]]), 'output.get(k) is a Promise'],
    ['a promise in a Set', new Set([Promise.resolve(1)]), 'output.has(…) is a Promise'],
    [
      'a class it does not know',
      { item: new Plain(1) },
      'output.item is an instance of Plain, which the serializer does not restore',
    ],
    [
      'a Buffer (which superjson cannot read back)',
      { file: Buffer.from('x') },
      'output.file is an instance of Buffer, which the serializer does not restore',
    ],
    [
      'an Error subclass (replayed as an Error)',
      { problem: new TypeError('x') },
      'output.problem is an instance of TypeError, which the serializer does not restore',
    ],
    ['an unregistered symbol', { side: Symbol('credit') }, 'output.side is a symbol the serializer does not restore'],
  ])('refuses %s', (_name, output, found) => {
    expect(unstorablePart(output, library)).toBe(found);
  });

  it('accepts what the serializer registered: a class, a symbol, and walks inside a registered class', () => {
    expect(unstorablePart({ item: new Plain(1), side: ORDER }, app)).toBeUndefined();
    expect(unstorablePart({ item: new Plain(1), side: ORDER }, library)).toBe(
      'output.item is an instance of Plain, which the serializer does not restore',
    );
    expect(unstorablePart(Object.assign(new Plain(1), { later: Promise.resolve(1) }), app)).toBe(
      'output.later is a Promise',
    );
  });

  it('visits a shared or circular object once, and refuses an output nested deeper than the limit', () => {
    const shared = { a: 1 };
    const circular: Record<string, unknown> = { shared, again: shared };
    circular.self = circular;
    expect(unstorablePart(circular, library)).toBeUndefined();
    let deep: unknown = 'leaf';
    for (let i = 0; i <= MAX_STORED_DEPTH; i++) deep = [deep];
    expect(unstorablePart(deep, library)).toMatch(/ is nested deeper than 1000 levels$/);
  });

  it('refuses a value whose getter throws', () => {
    const output = Object.defineProperty({}, 'broken', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(unstorablePart(output, library)).toBe('output.broken is a value that cannot be read (no)');
  });
});
