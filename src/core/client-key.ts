/**
 * Client-side key helpers: minting a key and writing it as an `Idempotency-Key` header value.
 * Free of Node built-ins, so browser bundles of the client helpers can use it.
 */

/** A fresh random key (a UUID v4 from `crypto.randomUUID()`). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Writes a key as an RFC 8941 sf-string, the form draft-ietf-httpapi-idempotency-key-header asks for. */
export function formatKeyHeader(key: string): string {
  return `"${key.replace(/[\\"]/g, '\\$&')}"`;
}
