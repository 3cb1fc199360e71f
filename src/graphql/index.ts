export { useIdempotency } from './use-idempotency.js';
export { useIdempotencyDefaults, type IdempotencyContext, type UseIdempotencyOptions } from './options.js';
