// The result serializer's plain-data fast path against superjson itself (performance work, December 2026).
import fc from 'fast-check';
import SuperJSON from 'superjson';
import { describe, expect, it } from 'vitest';
import { superjsonInstance as serializer } from '../../../src/core/serializer.js';

const reference = new SuperJSON();

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
/** Keys with path syntax (`.`, `\`), numeric-looking, empty, and the ones superjson refuses. */
const key = fc.oneof(
  fc.constantFrom('a', '', '0', 'a.b', 'a\\b', '\\.', '.', '__proto__', 'constructor', 'prototype', 'toJSON'),
  fc.string({ unit: fc.constantFrom('a', '.', '\\', '1'), maxLength: 3 }),
  fc.string({ unit: codeUnit, maxLength: 4 }),
);

/** What results are (JSON data, dates, undefined), mixed with everything superjson handles differently. */
const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(undefined, null, true, false, 0, -0, NaN, Infinity, -Infinity, 1.5, -7),
    fc.double(),
    fc.string({ unit: codeUnit }),
    fc.date({ noInvalidDate: false }),
    fc.bigInt(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 2 }).map((entries) => Object.assign(Object.create(null), entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }).map((entries) => new Map(entries)),
    fc.constantFrom<unknown>(
      new Error('boom'),
      /re/g,
      new Uint8Array([1, 2]),
      Symbol('s'),
      () => 1,
      new URL('https://x.test'),
    ),
    // Sparse arrays and shared / circular references.
    fc.nat({ max: 3 }).map((length) => new Array<unknown>(length)),
    tie('value').map((shared) => ({ a: shared, b: shared })),
    fc.constant(null).map(() => {
      const circular: Record<string, unknown> = { n: 1 };
      circular.self = circular;
      return circular;
    }),
  ),
}));

/** Plain results only: what the fast path must take. */
const { value: plainValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(undefined, null, true, false, 0, 1.5),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((number) => !Object.is(number, -0)),
    fc.string({ unit: codeUnit }),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      key.filter((name) => !['__proto__', 'constructor', 'prototype'].includes(name)),
      tie('value'),
      { maxKeys: 4, noNullPrototype: true },
    ),
  ),
}));

/** superjson's own answer, or the error it throws. */
function outcome(call: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: call() };
  } catch (error) {
    return { error: String(error) };
  }
}

describe('the result serializer', () => {
  it('writes exactly the text superjson writes, for any value (or throws as superjson does)', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        expect(outcome(() => serializer.stringify(value as never))).toEqual(
          outcome(() => reference.stringify(value as never)),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('reads back what superjson reads back, from the text of any value', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        let text: string;
        try {
          text = reference.stringify(value as never);
        } catch {
          return;
        }
        // superjson cannot always read its own text (a toJSON that drops paths its meta still names):
        // then ours must throw too.
        const outcome = (read: () => unknown) => {
          try {
            return { value: read() };
          } catch {
            return { threw: true };
          }
        };
        expect(outcome(() => serializer.parse(text))).toEqual(outcome(() => reference.parse(text)));
      }),
      { numRuns: 3_000 },
    );
  });

  it('round-trips plain results (JSON data, dates, undefined) to an equal value with the same types', () => {
    fc.assert(
      fc.property(plainValue, (value) => {
        const text = serializer.stringify(value as never);
        expect(text).toBe(reference.stringify(value as never));
        expect(serializer.parse(text)).toStrictEqual(reference.parse(text));
        expect(serializer.parse(text)).toStrictEqual(value);
      }),
      { numRuns: 3_000 },
    );
  });

  it('hands a payload it does not recognise to superjson, which reports it', () => {
    expect(() => serializer.parse('{"json":{"a":1},"meta":{"values":{"a":["nope"]},"v":1}}')).toThrow(
      /Unknown transformation/,
    );
    expect(serializer.parse('{"json":{"a":"1"},"meta":{"values":{"a":["bigint"]},"v":1}}')).toEqual({ a: 1n });
  });

  it('answers as superjson once a custom transformer is registered on it', async () => {
    const { serializer: fresh } = await import('../../../src/core/serializer.js?custom' as string);
    const plain = { when: new Date(0), text: 'x' };
    const custom = {
      isApplicable: (value: unknown): value is string => value === 'x',
      serialize: () => 'X',
      deserialize: () => 'x',
    };
    const alike = new SuperJSON();
    (fresh as SuperJSON).registerCustom<string, string>(custom, 'x-string');
    alike.registerCustom<string, string>(custom, 'x-string');
    expect((fresh as SuperJSON).stringify(plain)).toBe(alike.stringify(plain));
    expect((fresh as SuperJSON).stringify(plain)).toContain('x-string');
  });
});
