/**
 * urql helper: {@link idempotencyExchange} keeps one `Idempotency-Key` per mutation across every
 * `retryExchange` re-send. Browser-safe: no Node built-ins.
 */
export { idempotencyExchange, idempotencyExchangeDefaults, type IdempotencyExchangeOptions } from './exchange.js';
