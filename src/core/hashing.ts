import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { IdempotencyInputInvalidError } from './errors.js';
import { serializer } from './serializer.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The record id: SHA-256 of (scope, operation, key). Store key names are built from it, so no raw
 * key, user id or input is readable in the store.
 */
export function recordId(scope: string | null, operation: string, key: string): string {
  return sha256(JSON.stringify([scope, operation, key]));
}

/**
 * The fingerprint of an input: SHA-256 of its canonical serialization. Object key order does not
 * matter; `Date`, `BigInt`, `Map`, `Set` and `undefined` are told apart (superjson-aware).
 * Throws {@link IdempotencyInputInvalidError} when the input cannot be serialized.
 */
export function fingerprint(input: unknown): string {
  let canonical: string | undefined;
  try {
    canonical = stringify(serializer.serialize(input));
  } catch (error) {
    throw new IdempotencyInputInvalidError('The operation input cannot be fingerprinted (too deep or not serializable).', {
      cause: error,
    });
  }
  return sha256(canonical ?? 'undefined');
}
