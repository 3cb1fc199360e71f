/**
 * Apollo Client helper: {@link createIdempotencyLink} keeps one `Idempotency-Key` per mutation across
 * every `RetryLink` retry. Browser-safe: no Node built-ins.
 */
export { createIdempotencyLink, idempotencyLinkDefaults, type IdempotencyLinkOptions } from './link.js';
