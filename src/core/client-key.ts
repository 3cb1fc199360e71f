/**
 * Client-side key helpers: minting a key and writing it as an `Idempotency-Key` header value.
 * Free of Node built-ins, so browser bundles of the client helpers can use it.
 */

/** The part of Web Crypto a key is minted with: `randomUUID` where present, else `getRandomValues`. */
export interface KeyRandomSource {
  randomUUID?: (() => string) | undefined;
  getRandomValues?: (<T extends Uint8Array>(array: T) => T) | undefined;
}

/**
 * A fresh random key, a UUID v4. Uses `crypto.randomUUID()` where it exists, else builds the UUID
 * from `crypto.getRandomValues()` (`randomUUID` is missing outside secure contexts, such as a
 * plain-HTTP LAN origin, and in some React Native set-ups). Never falls back to `Math.random`: with
 * no cryptographic random source at all it throws, naming the fix (`generateKey`).
 */
export function newIdempotencyKey(): string {
  return mintIdempotencyKey(globalThis.crypto as KeyRandomSource | undefined);
}

/** {@link newIdempotencyKey} with the random source given: a UUID v4 from `source`. */
export function mintIdempotencyKey(source: KeyRandomSource | undefined): string {
  if (typeof source?.randomUUID === 'function') return source.randomUUID();
  if (typeof source?.getRandomValues === 'function') return uuidFrom(source.getRandomValues(new Uint8Array(16)));
  throw new Error(
    'idempotent-mutations: cannot mint an Idempotency-Key, this runtime has no crypto.randomUUID or crypto.getRandomValues. ' +
      'Pass generateKey to the client helper (e.g. generateKey: () => uuid() from a CSPRNG-backed library such as ' +
      'expo-crypto, or install a crypto.getRandomValues polyfill such as react-native-get-random-values).',
  );
}

/** A UUID v4 (RFC 9562) from 16 random bytes: the version and variant bits are set, the rest is random. */
function uuidFrom(bytes: Uint8Array): string {
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Writes a key as an RFC 8941 sf-string, the form draft-ietf-httpapi-idempotency-key-header asks for. */
export function formatKeyHeader(key: string): string {
  return `"${key.replace(/[\\"]/g, '\\$&')}"`;
}

/** The option every client helper that mints keys takes. */
export interface KeyGeneratorOptions {
  /**
   * Mints the key of a mutation the caller gave none. Defaults to a random UUID v4
   * (`crypto.randomUUID()`, or built from `crypto.getRandomValues()` where `randomUUID` is missing).
   */
  generateKey?: () => string;
}

/** The option every client helper that writes the key header takes. */
export interface KeyHeaderOptions {
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
