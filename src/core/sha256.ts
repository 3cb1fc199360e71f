import * as crypto from 'node:crypto';

/**
 * Node's one-shot `crypto.hash` (Node 20.12 and later): for a short text it is about twice as fast
 * as `createHash().update().digest()`, which builds a streaming Hash object first. Read from the
 * namespace, not imported by name, so an older Node 20 (where it is missing) falls back.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** The SHA-256 hex digest of `text` (UTF-8), in one call. */
export const sha256Hex: (text: string) => string =
  typeof oneShot === 'function'
    ? (text) => oneShot('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');
