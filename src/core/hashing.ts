import { sha256Hex } from './sha256.js';

export { fingerprint, fingerprintOf } from './fingerprint.js';

/**
 * The record id: SHA-256 of (scope, operation, key). Store key names are built from it, so no raw
 * key, user id or input is readable in the store.
 */
export function recordId(scope: string | null, operation: string, key: string): string {
  return sha256Hex(JSON.stringify([scope, operation, key]));
}
