import { IDEMPOTENCY_KEY_HEADER } from '../src/core/http.js';
import { parseKeyHeader } from '../src/core/key.js';

/**
 * The idempotency key a request carried, as the ledger records it: the parsed key when the
 * header is well-formed, else the header as sent, else `null`. Read on protected and unprotected
 * APIs alike, so the page can show that duplicate charges came from one key.
 */
export function requestKeyOf(headers: Headers): string | null {
  const raw = headers.get(IDEMPOTENCY_KEY_HEADER);
  try {
    return parseKeyHeader(raw) ?? null;
  } catch {
    return raw;
  }
}
