import {
  context,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type TracerProvider,
} from '@opentelemetry/api';
import type { IdempotencyEvent } from '../core/events.js';
import type {
  ExecutionEnd,
  ExecutionObserver,
  ExecutionStart,
  IdempotencyInstrumentation,
} from '../core/instrumentation.js';
import type { IdempotencyStore } from '../core/store.js';
import {
  idempotencyAttributes as attr,
  idempotencyMetrics,
  instrumentationScope,
  type IdempotencyOutcome,
} from './names.js';
import { errorType, FAILED, outcomeOf, type Seen } from './outcome.js';

/** Options of {@link createIdempotencyTelemetry}. */
export interface IdempotencyTelemetryOptions {
  /** Where spans go. Defaults to the global tracer provider (`trace.getTracerProvider()`), as registered by the OpenTelemetry SDK. */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go. Defaults to the global meter provider (`metrics.getMeterProvider()`), looked up
   * at the first measurement: register the SDK before the first request.
   */
  meterProvider?: MeterProvider;
}

/** Options of {@link instrumentStore}. */
export interface InstrumentStoreOptions {
  /** Where the store latency histogram goes. Defaults to the global meter provider, looked up at the first store call. */
  meterProvider?: MeterProvider;
}

/** What {@link createIdempotencyTelemetry} returns: wire both into the idempotency options. */
export interface IdempotencyTelemetry {
  /** Wraps a store so each transition (begin, extend, complete, release) is timed in `idempotency.store.duration`. */
  store(store: IdempotencyStore): IdempotencyStore;
  /** The `instrument` option: a span and the counters for every keyed execution. */
  instrument: IdempotencyInstrumentation;
}

/** Store latency buckets in milliseconds: a local Redis answers in well under a millisecond, a slow one in seconds. */
const DURATION_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

interface Instruments {
  operations: Counter;
  takeovers: Counter;
  storeErrors: Counter;
  storeDuration: Histogram;
}

/** The instruments, created at the first measurement (the global meter provider is not a proxy: one registered later would be missed). */
function lazyInstruments(meterProvider: MeterProvider | undefined): () => Instruments {
  let instruments: Instruments | undefined;
  return () => {
    if (instruments) return instruments;
    const meter = (meterProvider ?? metrics.getMeterProvider()).getMeter(
      instrumentationScope.name,
      instrumentationScope.version,
    );
    instruments = {
      operations: meter.createCounter(idempotencyMetrics.operations, {
        unit: '{operation}',
        description: 'Keyed idempotent executions, by outcome.',
      }),
      takeovers: meter.createCounter(idempotencyMetrics.takeovers, {
        unit: '{takeover}',
        description: 'Expired leases of a crashed or stalled owner taken over.',
      }),
      storeErrors: meter.createCounter(idempotencyMetrics.storeErrors, {
        unit: '{error}',
        description: 'Failed idempotency store calls, retried ones included.',
      }),
      storeDuration: meter.createHistogram(idempotencyMetrics.storeDuration, {
        unit: 'ms',
        description: 'Duration of one idempotency store transition.',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS },
      }),
    };
    return instruments;
  };
}

/**
 * OpenTelemetry for idempotent mutations: a span per keyed execution (`idempotency <operation>`,
 * a child of the span active when it starts), the `idempotency.operations`, `idempotency.takeovers`
 * and `idempotency.store.errors` counters, and the `idempotency.store.duration` histogram. Uses
 * `@opentelemetry/api` only: install and register an SDK to export anything. No attribute holds
 * a raw key, scope or input: records are named by their hashed id.
 * @example
 * const telemetry = createIdempotencyTelemetry();
 * useIdempotency({ store: telemetry.store(createRedisStore({ redis })), instrument: telemetry.instrument, scope: (ctx) => ctx.user?.id });
 */
export function createIdempotencyTelemetry(options: IdempotencyTelemetryOptions = {}): IdempotencyTelemetry {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    instrumentationScope.name,
    instrumentationScope.version,
  );
  const instruments = lazyInstruments(options.meterProvider);

  function instrument({ operation, recordId }: ExecutionStart): ExecutionObserver {
    const span = tracer.startSpan(
      `idempotency ${operation}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: { [attr.operation]: operation, ...(recordId ? { [attr.recordId]: recordId } : {}) },
      },
      context.active(),
    );
    const seen: Seen = { types: new Set(), fence: undefined };
    let ended = false;
    return {
      onEvent(event: IdempotencyEvent) {
        const labels: Attributes = { [attr.operation]: operation };
        if (event.type === 'takeover') instruments().takeovers.add(1, labels);
        if (event.type === 'store-error')
          instruments().storeErrors.add(1, { ...labels, [attr.errorType]: errorType(event.error) });
        if (ended) return; // a late heartbeat report: counted, but the span is closed
        seen.types.add(event.type);
        if (event.fence !== undefined) seen.fence = event.fence;
        if (event.type === 'store-error' || event.type === 'policy-error' || event.type === 'run-limit-exceeded') {
          span.addEvent(
            `idempotency.${event.type.replaceAll('-', '_')}`,
            event.error === undefined ? {} : { [attr.errorType]: errorType(event.error) },
          );
        }
      },
      end(ending: ExecutionEnd) {
        ended = true;
        const outcome: IdempotencyOutcome = outcomeOf(seen, ending);
        instruments().operations.add(1, { [attr.operation]: operation, [attr.outcome]: outcome });
        span.setAttribute(attr.outcome, outcome);
        if (seen.fence !== undefined) {
          span.setAttribute(attr.fence, seen.fence);
          span.setAttribute(attr.takeover, seen.types.has('takeover'));
        }
        if (FAILED.has(outcome)) {
          span.setAttribute(attr.errorType, outcome === 'error' && !ending.ok ? errorType(ending.error) : outcome);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }

  return {
    store: (store) => timeStore(store, instruments),
    instrument,
  };
}

/**
 * Wraps a store so each transition (begin, extend, complete, release) is timed in the
 * `idempotency.store.duration` histogram (milliseconds), with `idempotency.store.transition` and,
 * for a failed call, `error.type`. The wrapper is an {@link IdempotencyStore}: methods a store has
 * beyond that interface (a memory store's `size`) are not carried over.
 */
export function instrumentStore(store: IdempotencyStore, options: InstrumentStoreOptions = {}): IdempotencyStore {
  return timeStore(store, lazyInstruments(options.meterProvider));
}

function timeStore(store: IdempotencyStore, instruments: () => Instruments): IdempotencyStore {
  function timed<A, R>(
    transition: keyof IdempotencyStore,
    call: (request: A) => Promise<R>,
  ): (request: A) => Promise<R> {
    return async (request) => {
      const started = performance.now();
      const record = (failure?: { error: unknown }) => {
        try {
          instruments().storeDuration.record(performance.now() - started, {
            [attr.transition]: transition,
            ...(failure ? { [attr.errorType]: errorType(failure.error) } : {}),
          });
        } catch {
          // A failing meter must not turn a transition that happened (a lease acquired, a result stored) into a store error.
        }
      };
      try {
        const result = await call(request);
        record();
        return result;
      } catch (error) {
        record({ error });
        throw error;
      }
    };
  }
  return {
    begin: timed('begin', (request) => store.begin(request)),
    extend: timed('extend', (request) => store.extend(request)),
    complete: timed('complete', (request) => store.complete(request)),
    release: timed('release', (request) => store.release(request)),
    // Passed through, untimed: the namespace (derived keys must not change when telemetry is on),
    // transactions for ctx.idempotency.tx() (PostgreSQL), and the operator methods.
    ...(store.namespace !== undefined && { namespace: store.namespace }),
    ...(store.openTransaction && { openTransaction: store.openTransaction.bind(store) }),
    ...(store.ping && { ping: store.ping.bind(store) }),
    ...(store.inspect && { inspect: store.inspect.bind(store) }),
    ...(store.forget && { forget: store.forget.bind(store) }),
  };
}
