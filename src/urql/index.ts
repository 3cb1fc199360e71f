/**
 * urql helper: {@link idempotencyExchange} keeps one `Idempotency-Key` per mutation across every
 * `retryExchange` re-send, and rides out a 409 while the key's first attempt still runs.
 * Browser-safe: no Node built-ins.
 */
export {
  idempotencyExchange,
  urqlIdempotencyExchangeDefaults,
  type UrqlIdempotencyExchangeOptions,
} from './exchange.js';
export { concurrentRetryDefaults, type ConcurrentRetryOptions } from '../client/concurrent-retry.js';
export type { KeyGeneratorOptions, KeyHeaderOptions } from '../core/client-key.js';
