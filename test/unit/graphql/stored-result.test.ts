/**
 * Reading stored GraphQL records: the current form, the form written before the neutral stored
 * result (body at the top level, status and headers in `extensions.http`), and anything else, which
 * is refused with a typed error rather than replayed as a crash or a wrong value.
 * Origin: issue #18 follow-up, December 2026 (old records replayed as a TypeError).
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyResultNotStoredError } from '../../../src/core/errors.js';
import { storedResultCodec } from '../../../src/graphql/index.js';

describe('storedResultCodec.parse', () => {
  it('reads the current form as written', () => {
    const stored = { body: { data: { pay: 1 } }, status: 200, headers: { 'x-limit': '10' } };
    expect(storedResultCodec.parse(storedResultCodec.stringify(stored))).toEqual(stored);
  });

  it('reads a record of the earlier form: body, status and headers', () => {
    const earlier = {
      errors: [{ message: 'Limit exceeded.', path: ['pay'], extensions: { code: 'FORBIDDEN' } }],
      data: { pay: null },
      extensions: { cost: 3, http: { status: 403, headers: { 'x-limit': '10' } } },
    };
    expect(storedResultCodec.parse(JSON.stringify(earlier))).toEqual({
      body: { errors: earlier.errors, data: { pay: null }, extensions: { cost: 3 } },
      status: 403,
      headers: { 'x-limit': '10' },
    });
    expect(
      storedResultCodec.parse(JSON.stringify({ data: { pay: 1 }, extensions: { http: { status: 200 } } })),
    ).toEqual({ body: { data: { pay: 1 } }, status: 200 });
  });

  it.each([
    ['a number', '12'],
    ['null', 'null'],
    ['an array', '[1]'],
    ['a tRPC-style record', '{"json":{"ok":true}}'],
    ['a body without status', '{"body":{"data":{}}}'],
    ['an earlier form with a non-numeric status', '{"data":{},"extensions":{"http":{"status":"200"}}}'],
    ['an earlier form with non-string headers', '{"data":{},"extensions":{"http":{"status":200,"headers":{"a":1}}}}'],
  ])('refuses %s with IDEMPOTENCY_RESULT_NOT_STORED', (_, text) => {
    expect(() => storedResultCodec.parse(text)).toThrow(IdempotencyResultNotStoredError);
  });
});
