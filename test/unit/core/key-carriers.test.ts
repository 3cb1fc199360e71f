/**
 * Key carriers that hold something other than a string are malformed keys, never "no key".
 * Origin: issue #18, December 2026; the empty getKey array from the adversarial review of December 2026.
 */
import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../../src/engine.js';
import { IdempotencyKeyInvalidError } from '../../../src/core/errors.js';
import { resolveKey, type KeySources } from '../../../src/core/key.js';
import { plainHeaderValues } from '../../../src/core/node-headers.js';

const malformed: [string, unknown][] = [
  ['a number', 12345],
  ['zero', 0],
  ['a boolean', false],
  ['an array-like object', { 0: 'k', length: 1 }],
  ['an object', { key: 'k' }],
  ['an array with a number', ['k', 1]],
  ['a bigint', 1n],
];

describe('resolveKey', () => {
  for (const carrier of ['header', 'custom', 'argument', 'directive'] as const) {
    it.each(malformed)(`refuses %s in the ${carrier} carrier`, (_, value) => {
      expect(() => resolveKey({ [carrier]: value } as KeySources)).toThrow(IdempotencyKeyInvalidError);
    });

    it(`reads \`undefined\` and \`null\` in the ${carrier} carrier as no key`, () => {
      expect(resolveKey({ [carrier]: undefined })).toBeUndefined();
      expect(resolveKey({ [carrier]: null } as KeySources)).toBeUndefined();
    });
  }

  it('refuses an empty array from getKey: found, but malformed, never "no key"', () => {
    expect(() => resolveKey({ custom: [] })).toThrow(IdempotencyKeyInvalidError);
  });

  it('still takes a string, and a one-element array of strings from a header-like carrier', () => {
    expect(resolveKey({ custom: 'k-1' })).toBe('k-1');
    expect(resolveKey({ header: ['"k-2"'] })).toBe('k-2');
  });

  it('is what the engine applies', () => {
    const engine = createIdempotencyEngine();
    expect(() => engine.resolveKey({ custom: 12345 as never })).toThrow(/must be a string, got number/);
  });
});

describe('plainHeaderValues', () => {
  it('finds a header under any casing', () => {
    expect(plainHeaderValues({ 'Idempotency-Key': 'k' }, 'idempotency-key')).toBe('k');
    expect(plainHeaderValues({ 'IDEMPOTENCY-KEY': 'k' }, 'Idempotency-Key')).toBe('k');
    expect(plainHeaderValues({ other: 'k' }, 'Idempotency-Key')).toBeUndefined();
  });

  it('two casings with the same value are one header; with two values, a header sent twice', () => {
    expect(plainHeaderValues({ 'Idempotency-Key': 'k', 'idempotency-key': 'k' }, 'idempotency-key')).toBe('k');
    const twice = plainHeaderValues({ 'Idempotency-Key': 'a', 'idempotency-key': 'b' }, 'idempotency-key');
    expect(() => resolveKey({ header: twice as string[] })).toThrow(/more than once/);
  });
});
