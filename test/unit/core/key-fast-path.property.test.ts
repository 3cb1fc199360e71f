// The Idempotency-Key header's fast path for plain quoted keys against the full RFC 8941 parser (performance work, December 2026).
import fc from 'fast-check';
import { parseItem } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { parseKeyHeader, validateKey } from '../../../src/core/key.js';

/** The header read with the full parser only, as before the fast path: the same errors, the same keys. */
function fullParse(header: string, maxKeyLength?: number): string | undefined {
  const raw = header.replace(/^[ \t]+|[ \t]+$/g, '');
  if (!raw.startsWith('"')) return parseKeyHeader(header, maxKeyLength);
  let value: unknown;
  try {
    [value] = parseItem(raw);
  } catch {
    throw new Error('The Idempotency-Key header is not a valid RFC 8941 string (or was sent twice).');
  }
  if (typeof value !== 'string') throw new Error('The Idempotency-Key header must be an RFC 8941 string.');
  return validateKey(value, maxKeyLength);
}

function outcome(read: () => string | undefined): { key: string | undefined } | { error: string } {
  try {
    return { key: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Quoted headers: plain keys mostly, with escapes, quotes, parameters, inner lists, non-ASCII and whitespace mixed in. */
const quoted = fc
  .tuple(
    fc.constantFrom('', ' ', '\t', '  '),
    fc.string({
      unit: fc.oneof(
        fc.constantFrom('a', 'Z', '0', '-', ' ', '~', '!', '#', '[', ']'),
        fc.constantFrom('"', '\\', '\\"', '\\\\', '\\n', ';', ',', '=', '\x7f', '\x1f', 'é', '\t'),
      ),
      maxLength: 12,
    }),
    fc.constantFrom('"', '', '";a=1', '", "b"', '"x', '"\\'),
    fc.constantFrom('', ' ', '\t'),
  )
  .map(([before, body, close, after]) => `${before}"${body}${close}${after}`);

describe('the quoted Idempotency-Key fast path', () => {
  it('reads every header as the full RFC 8941 parser does: the same key or the same error', () => {
    fc.assert(
      fc.property(quoted, fc.constantFrom(undefined, 4, 255), (header, maxKeyLength) => {
        expect(outcome(() => parseKeyHeader(header, maxKeyLength))).toEqual(
          outcome(() => fullParse(header, maxKeyLength)),
        );
      }),
      { numRuns: 5_000 },
    );
  });

  it('takes plain keys of printable ASCII as they are', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/), (key) => {
        expect(parseKeyHeader(`"${key}"`)).toBe(key);
        expect(fullParse(`"${key}"`)).toBe(key);
      }),
    );
  });
});
