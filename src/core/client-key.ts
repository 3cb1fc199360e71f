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

/** Options every client helper takes to mint and send a key. */
export interface ClientKeyOptions {
  /** Mints the key of a mutation the caller gave none. Defaults to a random UUID (`crypto.randomUUID()`). */
  generateKey?: () => string;
  /** The request header that carries the key; must match the server's `headerName`. Defaults to `'Idempotency-Key'`. */
  headerName?: string;
}

/**
 * The key a mutation is sent with: the caller's (`chosen`, from the operation's context) when it is a
 * string; `undefined` when there is none but the request already carries the key header (it is kept
 * as it is); else a new one from `generateKey`.
 */
export function chooseKey(
  chosen: unknown,
  carriesHeader: boolean,
  generateKey: () => string = newIdempotencyKey,
): string | undefined {
  if (typeof chosen === 'string') return chosen;
  return carriesHeader ? undefined : generateKey();
}
