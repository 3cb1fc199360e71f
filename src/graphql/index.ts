export { useIdempotency } from './plugin.js';
export { useIdempotencyDefaults, type IdempotencyContext, type UseIdempotencyOptions } from './options.js';
export { shouldStoreResult } from './result-policy.js';
