import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, createMemoryStore, IdempotencyKeyInvalidError } from '../../../src/index.js';
import { parseKeyHeader, resolveKey, validateKey } from '../../../src/adapter-kit.js';

describe('parseKeyHeader', () => {
  it('reads an RFC 8941 sf-string', () => {
    expect(parseKeyHeader('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseKeyHeader('"with space and \\"quote\\""')).toBe('with space and "quote"');
  });

  it('reads an sf-string with parameters as its string, ignoring the parameters', () => {
    expect(parseKeyHeader('"k";p=1')).toBe('k');
  });

  it('accepts a bare key leniently, trimming optional whitespace', () => {
    expect(parseKeyHeader('8e03978e-40d5')).toBe('8e03978e-40d5');
    expect(parseKeyHeader('  abc  ')).toBe('abc');
  });

  it('treats an absent header as no key', () => {
    expect(parseKeyHeader(undefined)).toBeUndefined();
    expect(parseKeyHeader(null)).toBeUndefined();
    expect(parseKeyHeader([])).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['empty sf-string', '""'],
    ['unterminated sf-string', '"abc'],
    ['two values joined by a proxy', '"a", "b"'],
    ['two bare values joined', 'a, b'],
    ['non-ASCII', 'clé'],
    ['control character', 'a\u0001b'],
    ['sf-integer', '"a" 1'],
    ['over 255 characters', 'k'.repeat(256)],
    ['over 255 characters quoted', `"${'k'.repeat(256)}"`],
  ])('rejects %s', (_label, header) => {
    expect(() => parseKeyHeader(header)).toThrow(IdempotencyKeyInvalidError);
  });

  it('rejects a header sent twice', () => {
    expect(() => parseKeyHeader(['"a"', '"a"'])).toThrow(/more than once/);
  });

  it('accepts exactly 255 characters and honours a custom limit', () => {
    expect(parseKeyHeader('k'.repeat(255))).toHaveLength(255);
    expect(() => parseKeyHeader('k'.repeat(11), 10)).toThrow(/at most 10/);
  });
});

describe('validateKey and resolveKey', () => {
  it.each([[42], [''], ['tab\there'], [{}]])('rejects the argument %j', (value) => {
    expect(() => validateKey(value)).toThrow(IdempotencyKeyInvalidError);
  });

  it('takes the key from the header or the argument', () => {
    expect(resolveKey({ header: '"k1"' })).toBe('k1');
    expect(resolveKey({ argument: 'k2' })).toBe('k2');
    expect(resolveKey({ header: '"k3"', argument: 'k3' })).toBe('k3');
    expect(resolveKey({})).toBeUndefined();
  });

  it('rejects a header and an argument that disagree', () => {
    expect(() => resolveKey({ header: '"k1"', argument: 'k2' })).toThrow(/disagree/);
  });

  it('reads a getKey value like a header, as one more carrier that must agree with the others', () => {
    expect(resolveKey({ custom: '"k1"' })).toBe('k1');
    expect(resolveKey({ header: '"k1"', custom: 'k1', argument: 'k1' })).toBe('k1');
    expect(() => resolveKey({ header: '"k1"', custom: 'k2' })).toThrow(/header and the getKey value disagree/);
    expect(() => resolveKey({ custom: 'k1', argument: 'k2' })).toThrow(/getKey value and the key argument disagree/);
  });

  it('gives every error the stable code and status 400', () => {
    try {
      resolveKey({ header: '' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID', status: 400 });
    }
  });
});

// Reproductions from the adversarial reviews of November and December 2026.
describe('one key across its spellings, and a freed key reused', () => {
  it('one key written as a bare token, an sf-string, an sf-string with parameters, and an input field is one record', () => {
    const forms = [
      { header: 'abc-1' },
      { header: '"abc-1"' },
      { header: '"abc-1";v=2' },
      { header: ' "abc-1" ' },
      { argument: 'abc-1' },
      { header: '"abc-1"', argument: 'abc-1' },
    ];
    expect(new Set(forms.map((f) => resolveKey(f)))).toEqual(new Set(['abc-1']));
    for (const bad of [['"abc-1"', '"abc-1"'], '"abc-1", "abc-1"', 'abc-1, abc-1', '"abc\u00e9"']) {
      expect(() => resolveKey({ header: bad as string })).toThrow();
    }
  });

  it('a key freed by a body that threw, then run again with OTHER input, is a new run (documented); the same key never replays across operations', async () => {
    const engine = createIdempotencyEngine({ store: createMemoryStore() });
    await engine
      .execute({
        scope: 'u',
        operation: 'refund',
        key: 'k',
        input: { order: 1 },
        run: async () => Promise.reject(new Error('boom')),
      })
      .catch(() => {});
    const refund = await engine.execute({
      scope: 'u',
      operation: 'refund',
      key: 'k',
      input: { order: 2 },
      run: async () => 'refund-2',
    });
    const charge = await engine.execute({
      scope: 'u',
      operation: 'charge',
      key: 'k',
      input: { order: 2 },
      run: async () => 'charge-2',
    });
    expect([refund.value, charge.value]).toEqual(['refund-2', 'charge-2']);
  });
});
