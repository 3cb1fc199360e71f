/**
 * TanStack Query helper: {@link idempotentMutationFn} keeps one idempotency key per `mutate()` call
 * across every `retry`, for any transport (tRPC, `fetch`, GraphQL). Browser-safe: no Node
 * built-ins, and no runtime import of TanStack Query.
 */
export { idempotentMutationFn, type IdempotentMutationFnOptions, type KeyedMutationFunction } from './mutation-fn.js';
export type { KeyGeneratorOptions } from '../core/client-key.js';
