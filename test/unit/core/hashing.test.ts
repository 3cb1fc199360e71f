import { describe, expect, it } from 'vitest';
import { IdempotencyInputInvalidError } from '../../../src/index.js';
import { fingerprint, recordId } from '../../../src/adapter-kit.js';

describe('fingerprint', () => {
  it('ignores object key order at every depth', async () => {
    expect(await fingerprint({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(
      await fingerprint({ b: { d: [1, 2], c: 2 }, a: 1 }),
    );
  });

  it('tells apart values that plain JSON would confuse', async () => {
    const distinct = await Promise.all([
      fingerprint({ at: new Date(0) }),
      fingerprint({ at: new Date(0).toISOString() }),
      fingerprint({ n: 1n }),
      fingerprint({ n: '1' }),
      fingerprint({ n: 1 }),
      fingerprint({ v: undefined }),
      fingerprint({}),
      fingerprint({ m: new Map([['a', 1]]) }),
      fingerprint({ m: { a: 1 } }),
      fingerprint({ s: new Set([1]) }),
      fingerprint({ s: [1] }),
    ]);
    expect(new Set(distinct).size).toBe(distinct.length);
  });

  it('fingerprints undefined input and arrays by order', async () => {
    expect(await fingerprint(undefined)).toMatch(/^[0-9a-f]{64}$/);
    expect(await fingerprint([1, 2])).not.toBe(await fingerprint([2, 1]));
  });

  it('turns input that cannot be serialized into a typed 400 error', async () => {
    let deep: unknown = 0;
    for (let depth = 0; depth < 100_000; depth++) deep = { deep };
    await expect(fingerprint(deep)).rejects.toThrow(IdempotencyInputInvalidError);
  });
});

describe('recordId', () => {
  it('is a SHA-256 hex digest that separates scope, operation and key', () => {
    const id = recordId('user-1', 'createCharge', 'key');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).not.toContain('user-1');
    expect(
      new Set([
        id,
        recordId('user-2', 'createCharge', 'key'),
        recordId('user-1', 'refund', 'key'),
        recordId(null, 'createCharge', 'key'),
      ]).size,
    ).toBe(4);
    expect(recordId('a', 'bc', 'd')).not.toBe(recordId('ab', 'c', 'd'));
  });
});
