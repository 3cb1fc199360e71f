export {
  createIdempotentFetch,
  idempotentFetchDefaults,
  shouldRetryDefault,
  type AttemptOutcome,
  type FetchLike,
  type IdempotentFetchOptions,
} from './fetch.js';
export { isMutationBody, operationTypeOf, type OperationType } from './fetch-operation.js';
export {
  idempotencyHeaders,
  idempotencyLink,
  type IdempotencyHeadersOptions,
  type TrpcIdempotencyLinkOptions,
} from './link.js';
export { CONCURRENT_REQUEST_CODE, concurrentRetryDefaults, type ConcurrentRetryOptions } from './concurrent-retry.js';
export type { KeyGeneratorOptions, KeyHeaderOptions } from '../core/client-key.js';
