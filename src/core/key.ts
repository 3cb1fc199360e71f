import { parseItem } from 'structured-headers';
import { IdempotencyKeyInvalidError } from './errors.js';

/** Longest key accepted unless `maxKeyLength` says otherwise. */
export const DEFAULT_MAX_KEY_LENGTH = 255;

/** Raw key value(s) as a header carries them: an RFC 8941 string or a bare key; an array means the header was sent twice. */
export type RawKey = string | readonly string[] | null | undefined;

/** What a transport found: the header value(s) and the argument / input field value. */
export interface KeySources {
  /** Raw header value(s); an array with more than one entry means the header was sent twice. */
  header?: RawKey;
  /** Value of the key argument or input field, as sent by the client. */
  argument?: unknown;
  /** Value of GraphQL's `@idempotent(key:)` directive on the mutation field, as sent by the client. */
  directive?: unknown;
  /**
   * What an adapter's `getKey` option returned (read like a header value): one more carrier, never a
   * replacement for the header. Anything but a string, a non-empty array of strings, `undefined` or
   * `null` (a number, `[]`, an object) is a malformed key.
   */
  custom?: unknown;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/**
 * An RFC 8941 sf-string without escapes or parameters: what clients send. Its value is the text
 * between the quotes, so it is read without the full parser, which gives the same (pinned by a
 * differential test).
 */
const PLAIN_SF_STRING = /^"[\x20\x21\x23-\x5b\x5d-\x7e]*"$/;
/** A lenient bare key: visible ASCII, no DQUOTE and no comma (a comma means two values were joined). */
const BARE_KEY = /^[\x21\x23-\x2b\x2d-\x7e]+$/;

/**
 * Checks a key's content: 1 to `maxKeyLength` printable ASCII characters.
 * Throws {@link IdempotencyKeyInvalidError} otherwise.
 */
export function validateKey(key: unknown, maxKeyLength = DEFAULT_MAX_KEY_LENGTH): string {
  if (typeof key !== 'string')
    throw new IdempotencyKeyInvalidError(
      `The Idempotency-Key must be a string, got ${Array.isArray(key) ? 'an array' : typeof key}.`,
    );
  if (key.length === 0) throw new IdempotencyKeyInvalidError('The Idempotency-Key must not be empty.');
  if (key.length > maxKeyLength) {
    throw new IdempotencyKeyInvalidError(`The Idempotency-Key must be at most ${maxKeyLength} characters long.`);
  }
  if (!PRINTABLE_ASCII.test(key)) {
    throw new IdempotencyKeyInvalidError('The Idempotency-Key must contain only printable ASCII characters.');
  }
  return key;
}

/**
 * Parses an `Idempotency-Key` header: an RFC 8941 sf-string (`"8e03978e-40d5"`) or, leniently,
 * a bare value (`8e03978e-40d5`). Returns `undefined` when no header was sent.
 * Throws {@link IdempotencyKeyInvalidError} for a malformed value or a header sent twice.
 */
export function parseKeyHeader(
  header: string | readonly string[] | null | undefined,
  maxKeyLength = DEFAULT_MAX_KEY_LENGTH,
): string | undefined {
  if (header === undefined || header === null) return undefined;
  if (typeof header !== 'string') {
    if (header.length === 0) return undefined;
    if (header.length > 1) throw new IdempotencyKeyInvalidError('The Idempotency-Key header was sent more than once.');
    return parseKeyHeader(header[0], maxKeyLength);
  }
  const raw = trimOptionalWhitespace(header);
  if (raw.length === 0) throw new IdempotencyKeyInvalidError('The Idempotency-Key header is empty.');
  if (raw.startsWith('"'))
    return validateKey(PLAIN_SF_STRING.test(raw) ? raw.slice(1, -1) : parseSfString(raw), maxKeyLength);
  if (!BARE_KEY.test(raw)) {
    throw new IdempotencyKeyInvalidError(
      'The Idempotency-Key header must be a quoted string (RFC 8941) of printable ASCII, sent once.',
    );
  }
  return validateKey(raw, maxKeyLength);
}

/**
 * Strips HTTP's optional whitespace (SP, HTAB) from both ends. Not `String#trim`, which also drops
 * NBSP and other non-ASCII spaces (so `"\xa0abc"` would pass as `abc`); not a regex, whose
 * backtracking on a long run of inner spaces is quadratic.
 */
function trimOptionalWhitespace(value: string): string {
  const isOws = (index: number) => value[index] === ' ' || value[index] === '\t';
  let start = 0;
  let end = value.length;
  while (start < end && isOws(start)) start++;
  while (end > start && isOws(end - 1)) end--;
  return value.slice(start, end);
}

function parseSfString(raw: string): string {
  let value: unknown;
  try {
    [value] = parseItem(raw);
  } catch {
    throw new IdempotencyKeyInvalidError(
      'The Idempotency-Key header is not a valid RFC 8941 string (or was sent twice).',
    );
  }
  if (typeof value !== 'string')
    throw new IdempotencyKeyInvalidError('The Idempotency-Key header must be an RFC 8941 string.');
  return value;
}

/**
 * Resolves the key of one request from its carriers: the header, the `getKey` value, the argument
 * (or input field) and the `@idempotent` directive. Returns `undefined` when none was sent: a carrier
 * whose value is `undefined` or `null` carries no key. Throws {@link IdempotencyKeyInvalidError} when
 * one is malformed (a value that is not a string, such as `12345`, `true` or `{ 0: 'k', length: 1 }`,
 * is malformed, never "no key") or two that are present disagree.
 */
export function resolveKey(sources: KeySources, maxKeyLength = DEFAULT_MAX_KEY_LENGTH): string | undefined {
  const header = parseKeyHeader(rawKey(sources.header, 'header'), maxKeyLength);
  const custom = parseKeyHeader(customKey(sources.custom), maxKeyLength);
  const argument = present(sources.argument) ? validateKey(sources.argument, maxKeyLength) : undefined;
  const directive = present(sources.directive) ? validateKey(sources.directive, maxKeyLength) : undefined;
  // The usual request: the header alone, nothing to compare it with.
  if (custom === undefined && argument === undefined && directive === undefined) return header;
  const carried = [
    ['header', header],
    ['getKey value', custom],
    ['key argument', argument],
    ['@idempotent directive', directive],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  const [first, ...others] = carried;
  const disagreeing = others.find(([, key]) => key !== first?.[1]);
  if (first && disagreeing)
    throw new IdempotencyKeyInvalidError(`The Idempotency-Key ${first[0]} and the ${disagreeing[0]} disagree.`);
  return first?.[1];
}

/**
 * A header-like carrier's value as {@link parseKeyHeader} takes it: a string, or an array of strings
 * (the header sent more than once); `undefined` and `null` mean "no key". Anything else (a number,
 * a boolean, an object, an array-like object, an array with a non-string in it) is a malformed key,
 * never "no key": a `getKey` that reads a client-controlled value (graphql-ws connection params, a
 * JSON body) must not turn `12345` into an unkeyed run.
 */
function rawKey(value: unknown, carrier: string): RawKey {
  if (value === undefined || value === null || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as readonly string[];
  throw new IdempotencyKeyInvalidError(
    `The Idempotency-Key ${carrier} must be a string, got ${Array.isArray(value) ? 'an array of non-strings' : typeof value}.`,
  );
}

/**
 * A `getKey` value, read like a header: a string, an array of strings (a header sent more than
 * once), or `undefined` / `null` for "no key". An empty array is not "no key" here: a `getKey` that
 * found an empty list found something malformed, and reading it as no key would run the request unkeyed.
 */
function customKey(value: unknown): RawKey {
  if (Array.isArray(value) && value.length === 0)
    throw new IdempotencyKeyInvalidError('The Idempotency-Key getKey value is an empty array.');
  return rawKey(value, 'getKey value');
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}
