import { IdempotencyConcurrentRequestError, type IdempotencyError } from './errors.js';

/** The request header that carries the key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** The response header set on a replayed result. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Response headers that go with an error: `Retry-After` on a 409. */
export function errorHeaders(error: IdempotencyError): Record<string, string> {
  return error instanceof IdempotencyConcurrentRequestError ? { 'Retry-After': String(error.retryAfter) } : {};
}
