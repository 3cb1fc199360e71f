/**
 * `idempotent-mutations`: what users call. The engine for a custom transport, the embedded memory
 * store, the typed errors, the constants and the types of options, events, stores and run contexts.
 * What server adapters need besides is in `idempotent-mutations/adapter-kit`.
 */
export { createIdempotencyEngine } from './engine.js';
export type {
  Attempt,
  AttemptRequest,
  BodyPart,
  ExecuteRequest,
  ExecuteResult,
  IdempotencyEngine,
  ResultCodec,
  RunningAttempt,
} from './core/engine.js';
export { createMemoryStore, memoryStoreDefaults, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export * from './core/errors.js';
export type { IdempotencyEvent, IdempotencyEventHandler, IdempotencyEventType } from './core/events.js';
export type {
  ExecutionEnd,
  ExecutionObserver,
  ExecutionStart,
  IdempotencyInstrumentation,
} from './core/instrumentation.js';
export {
  DEFAULT_MAX_WAITERS,
  idempotencyDefaults,
  type ConcurrentPolicy,
  type ConcurrentWait,
  type IdempotencyOptions,
} from './core/options.js';
export type { BeginOutcome, BeginRequest, IdempotencyStore, OwnerRequest, StoredRecordView } from './core/store.js';
export {
  forgetRecord,
  inspectRecord,
  type InspectOptions,
  type RecordAddress,
  type RecordInspection,
} from './core/inspect.js';
export type { BodyOutcome } from './core/policy.js';
export type { RunContext } from './core/run-context.js';
export { DEFAULT_MAX_KEY_LENGTH, type KeySources, type RawKey } from './core/key.js';
export { serializer, type ResultSerializer, type SerializedJson } from './core/serializer.js';
export { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER, errorHeaders } from './core/http.js';
export type { ScopeOption, ScopeValue } from './core/scope.js';
