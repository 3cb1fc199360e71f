export * from './errors.js';
export * from './events.js';
export type { ExecutionEnd, ExecutionObserver, ExecutionStart, IdempotencyInstrumentation } from './instrumentation.js';
export * from './options.js';
export * from './store.js';
export {
  createIdempotencyEngine,
  type ExecuteRequest,
  type ExecuteResult,
  type IdempotencyEngine,
  type ResultCodec,
} from './engine.js';
export { beginAttempt, type Attempt } from './attempt.js';
export { keepsRecord, RETURNED, TRANSIENT_STATUSES, type BodyOutcome } from './policy.js';
export type { RunContext } from './run-context.js';
export { fingerprint, recordId } from './hashing.js';
export {
  DEFAULT_MAX_KEY_LENGTH,
  parseKeyHeader,
  resolveKey,
  validateKey,
  type KeySources,
  type RawKey,
} from './key.js';
export { serializer } from './serializer.js';
export { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER, errorHeaders } from './http.js';
export { assertScopeOption, resolveScope, type ScopeOption, type ScopeValue } from './scope.js';
