export {
  createIdempotentFetch,
  idempotentFetchDefaults,
  shouldRetryDefault,
  type AttemptOutcome,
  type FetchLike,
  type IdempotentFetchOptions,
} from './fetch.js';
export { isMutationBody, operationTypeOf, type OperationType } from './fetch-operation.js';
export * from './link.js';
