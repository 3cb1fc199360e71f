import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint, sortKeys } from '../../../src/core/fingerprint.js';

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Keys that trip naive serializers show up often. */
const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', ''),
  fc.string({ unit: codeUnit, maxLength: 4 }),
);

/** JSON values plus what superjson carries: undefined, -0, NaN, ±Infinity, bigint, Date, Map, Set, bytes. */
const { value: richValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(undefined, null, true, false, 0, -0, NaN, Infinity, -Infinity),
    fc.double(),
    fc.bigInt(),
    fc.string({ unit: codeUnit }),
    fc.date({ noInvalidDate: false }),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value')),
    fc.dictionary(key, tie('value')),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
  ),
}));

/** Few, small values (strings of the encoding's own tag characters), so that two draws are often equal or nearly equal. */
const { value: smallValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(undefined, null, 0, -0, NaN, 1, '1', 1n, true),
    fc.string({ unit: fc.constantFrom('a', '1', 's', 'n', ';', ')', '"', '\\'), maxLength: 3 }),
    fc.array(tie('value'), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'constructor'), tie('value'), { maxKeys: 2 }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 2 }).map((items) => new Set(items)),
  ),
}));

/** What a value is, for the structural comparison: a container kind or its `typeof`. */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Map) return 'map';
  if (value instanceof Set) return 'set';
  return typeof value;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, index) => structurallyEqual(item, b[index]));
}

/** Deep structural equality with the fingerprint's rules: NaN equals NaN, -0 is not 0, order counts except for object keys. */
function structurallyEqual(a: unknown, b: unknown): boolean {
  const kindOfA = kind(a);
  if (kindOfA !== kind(b)) return false;
  switch (kindOfA) {
    case 'array':
      return sameItems(a as unknown[], b as unknown[]);
    case 'date':
      return Object.is((a as Date).getTime(), (b as Date).getTime());
    case 'bytes':
      return sameItems([...(a as Uint8Array)], [...(b as Uint8Array)]);
    case 'map':
      return sameItems([...(a as Map<unknown, unknown>)], [...(b as Map<unknown, unknown>)]);
    case 'set':
      return sameItems([...(a as Set<unknown>)], [...(b as Set<unknown>)]);
    case 'object': {
      const keys = Object.keys(a as object).sort();
      const record = (value: unknown) => value as Record<string, unknown>;
      return (
        sameItems(keys, Object.keys(b as object).sort()) &&
        keys.every((name) => structurallyEqual(record(a)[name], record(b)[name]))
      );
    }
    default:
      return Object.is(a, b);
  }
}

/** A deep copy of `value` with every object's keys in an order drawn from `random`. */
function shuffledClone(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffledClone(item, random));
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Uint8Array) return value.slice();
  if (value instanceof Map)
    return new Map([...value].map(([k, v]) => [shuffledClone(k, random), shuffledClone(v, random)]));
  if (value instanceof Set) return new Set([...value].map((item) => shuffledClone(item, random)));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  for (let index = keys.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [keys[index], keys[other]] = [keys[other]!, keys[index]!];
  }
  const copy = {};
  for (const name of keys) {
    Object.defineProperty(copy, name, {
      value: shuffledClone((value as Record<string, unknown>)[name], random),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** A small deterministic generator (mulberry32), so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('fingerprint properties', () => {
  it('gives a deep clone with shuffled keys the same fingerprint', async () => {
    await fc.assert(
      fc.asyncProperty(richValue, fc.integer(), async (value, seed) => {
        expect(await fingerprint(shuffledClone(value, seeded(seed)))).toBe(await fingerprint(value));
      }),
    );
  });

  it('gives two values the same fingerprint exactly when they are structurally equal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(smallValue, { minLength: 2, maxLength: 60 }),
          fc.array(richValue, { minLength: 2, maxLength: 10 }),
        ),
        async (values) => {
          const fingerprints = await Promise.all(values.map((value) => fingerprint(value)));
          for (let i = 0; i < values.length; i++) {
            for (let j = i + 1; j < values.length; j++) {
              expect(fingerprints[i] === fingerprints[j], `${i} and ${j}`).toBe(
                structurallyEqual(values[i], values[j]),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives JSON values with different key-sorted JSON different fingerprints', async () => {
    const sortedJson = (value: unknown): string =>
      JSON.stringify(value, (_key, item: unknown) =>
        item && typeof item === 'object' && !Array.isArray(item)
          ? Object.fromEntries(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
          : item,
      );
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), async (a, b) => {
        fc.pre(sortedJson(a) !== sortedJson(b));
        expect(await fingerprint(a)).not.toBe(await fingerprint(b));
      }),
    );
  });
});

describe('sortKeys, the order of object keys in the encoding', () => {
  it('sorts exactly as Array.prototype.sort does, below and above the insertion-sort length', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 40 }), (keys) => {
        expect(sortKeys([...keys])).toEqual([...keys].sort());
      }),
      { numRuns: 500 },
    );
  });

  it('gives a fingerprint independent of key order for objects of every size', async () => {
    for (const size of [2, 16, 17, 40]) {
      const entries = Array.from({ length: size }, (_, index) => [`k${(index * 7919) % 101}-${index}`, index] as const);
      const forward = Object.fromEntries(entries);
      const backward = Object.fromEntries([...entries].reverse());
      expect(await fingerprint(backward)).toBe(await fingerprint(forward));
    }
  });
});
