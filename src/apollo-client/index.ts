/**
 * Apollo Client helper: {@link createIdempotencyLink} keeps one `Idempotency-Key` per mutation across
 * every `RetryLink` retry, and rides out a 409 while the key's first attempt still runs. Browser-safe:
 * no Node built-ins.
 */
export { apolloIdempotencyLinkDefaults, createIdempotencyLink, type ApolloIdempotencyLinkOptions } from './link.js';
export { concurrentRetryDefaults, type ConcurrentRetryOptions } from '../client/concurrent-retry.js';
export type { KeyGeneratorOptions, KeyHeaderOptions } from '../core/client-key.js';
