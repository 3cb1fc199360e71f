/**
 * `idempotent-mutations/opentelemetry`: spans and metrics for idempotent mutations, on
 * `@opentelemetry/api` (an optional peer dependency; register an OpenTelemetry SDK to export them).
 */

/** The telemetry: `store()` wraps a store, `instrument` is the engine option that opens a span per keyed execution. */
export {
  createIdempotencyTelemetry,
  instrumentStore,
  type IdempotencyTelemetry,
  type IdempotencyTelemetryOptions,
  type InstrumentStoreOptions,
} from './telemetry.js';
/** Names of the metrics and attributes, the instrumentation scope, and every outcome. */
export { idempotencyAttributes, idempotencyMetrics, instrumentationScope, type IdempotencyOutcome } from './names.js';
