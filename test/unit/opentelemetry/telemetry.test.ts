import { readFileSync } from 'node:fs';
import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  createMemoryStore,
  IdempotencyInputInvalidError,
  type IdempotencyStore,
} from '../../../src/index.js';
import { recordId } from '../../../src/adapter-kit.js';
import {
  createIdempotencyTelemetry,
  idempotencyAttributes,
  idempotencyMetrics,
  instrumentationScope,
  instrumentStore,
} from '../../../src/opentelemetry/index.js';
import { createOtel, onlySpan, useContextManager } from '../../support/opentelemetry/otel.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};
const request = { scope: 'user-1', operation: 'pay', key: 'key-1', input: { amount: 1 } };

useContextManager();
const otels: ReturnType<typeof createOtel>[] = [];
afterEach(async () => {
  trace.disable();
  metrics.disable();
  await Promise.all(otels.splice(0).map((otel) => otel.shutdown()));
});
function newOtel() {
  const otel = createOtel();
  otels.push(otel);
  return otel;
}

describe('createIdempotencyTelemetry on the engine', () => {
  it('names tracer and meter after the package and its version', () => {
    expect(instrumentationScope).toEqual({ name: pkg.name, version: pkg.version });
    expect(idempotencyMetrics).toEqual({
      operations: 'idempotency.operations',
      takeovers: 'idempotency.takeovers',
      storeErrors: 'idempotency.store.errors',
      storeDuration: 'idempotency.store.duration',
    });
    expect(idempotencyAttributes.recordId).toBe('idempotency.record_id');
  });

  it('defaults to the global providers, the meter looked up at the first measurement', async () => {
    const otel = newOtel();
    const telemetry = createIdempotencyTelemetry(); // before the SDK registers, as a module-level setup does
    trace.setGlobalTracerProvider(otel.tracerProvider);
    metrics.setGlobalMeterProvider(otel.meterProvider);
    const engine = createIdempotencyEngine({
      store: telemetry.store(createMemoryStore()),
      instrument: telemetry.instrument,
    });
    await engine.execute({ ...request, run: async () => 'charged' });

    expect(otel.spans().map((span) => span.name)).toEqual(['idempotency pay']);
    expect(await otel.count('idempotency.operations', { 'idempotency.outcome': 'executed' })).toBe(1);
    expect((await otel.histogram('idempotency.store.duration'))?.points).toHaveLength(2); // begin, complete
  });

  it('nests under the span active when the execution starts', async () => {
    const otel = newOtel();
    const telemetry = createIdempotencyTelemetry({
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    const engine = createIdempotencyEngine({ instrument: telemetry.instrument });
    const parent = otel.tracerProvider.getTracer('test').startSpan('parent');
    await context.with(trace.setSpan(context.active(), parent), () =>
      engine.execute({ ...request, run: async () => 1 }),
    );
    parent.end();
    expect(onlySpan(otel.spans(), 'executed').parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('names the refusals no event reports: scope-missing (no record id), input-invalid', async () => {
    const otel = newOtel();
    const telemetry = createIdempotencyTelemetry({
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    const engine = createIdempotencyEngine({ instrument: telemetry.instrument });
    await expect(engine.execute({ ...request, scope: undefined, run: async () => 1 })).rejects.toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(engine.execute({ ...request, input: cyclic, run: async () => 1 })).rejects.toBeInstanceOf(
      IdempotencyInputInvalidError,
    );

    expect(onlySpan(otel.spans(), 'scope-missing').attributes).toEqual({
      'idempotency.operation': 'pay',
      'idempotency.outcome': 'scope-missing',
    });
    const invalid = onlySpan(otel.spans(), 'input-invalid');
    expect(invalid.attributes['idempotency.record_id']).toBe(recordId('user-1', 'pay', 'key-1'));
    expect(invalid.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('completion-failed: the body ran, every completion attempt failed; each failure counted as a store error', async () => {
    const otel = newOtel();
    const telemetry = createIdempotencyTelemetry({
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    const memory = createMemoryStore();
    const broken: IdempotencyStore = {
      ...memory,
      begin: (r) => memory.begin(r),
      extend: (r) => memory.extend(r),
      release: (r) => memory.release(r),
      complete: async () => Promise.reject(new RangeError('disk full')),
    };
    const engine = createIdempotencyEngine({
      store: telemetry.store(broken),
      instrument: telemetry.instrument,
      completionRetry: 600, // room for at least two attempts on a busy machine
    });
    await expect(engine.execute({ ...request, run: async () => 'charged' })).resolves.toEqual({
      value: 'charged',
      replayed: false,
    });

    const span = onlySpan(otel.spans(), 'completion-failed');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'idempotency.fence': 1, 'error.type': 'completion-failed' });
    const failures = span.events.filter((event) => event.name === 'idempotency.store_error');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.every((event) => event.attributes?.['error.type'] === 'RangeError')).toBe(true);
    expect(
      await otel.count('idempotency.store.errors', { 'idempotency.operation': 'pay', 'error.type': 'RangeError' }),
    ).toBe(failures.length);
    const completes = (await otel.histogram('idempotency.store.duration'))?.points.find(
      (point) => point.attributes['idempotency.store.transition'] === 'complete',
    );
    expect(completes?.attributes['error.type']).toBe('RangeError');
    expect(completes?.value.count).toBe(failures.length);
  });

  it('costs nothing and breaks nothing without an SDK', async () => {
    const telemetry = createIdempotencyTelemetry();
    const engine = createIdempotencyEngine({
      store: telemetry.store(createMemoryStore()),
      instrument: telemetry.instrument,
    });
    await expect(engine.execute({ ...request, run: async () => 1 })).resolves.toEqual({ value: 1, replayed: false });
    await expect(engine.execute({ ...request, run: async () => 2 })).resolves.toEqual({ value: 1, replayed: true });
  });
});

describe('instrumentStore', () => {
  it('passes every transition through, timing each; a failure keeps its error and is timed with error.type', async () => {
    const otel = newOtel();
    const memory = createMemoryStore();
    const failure = new TypeError('nope');
    const store = instrumentStore(
      {
        ...memory,
        begin: (r) => memory.begin(r),
        extend: (r) => memory.extend(r),
        complete: (r) => memory.complete(r),
        release: () => Promise.reject(failure),
      },
      { meterProvider: otel.meterProvider },
    );
    const begun = { id: 'r1', scopeId: 's', fingerprint: 'f', owner: 'o', leaseMs: 1_000, ttlMs: 10_000 };
    await expect(store.begin(begun)).resolves.toEqual({ status: 'acquired', fence: 1, takeover: false });
    await expect(store.extend({ id: 'r1', owner: 'o', leaseMs: 1_000 })).resolves.toBe(true);
    await expect(store.release({ id: 'r1', owner: 'o' })).rejects.toBe(failure);
    await expect(store.complete({ id: 'r1', owner: 'o', result: '1', ttlMs: 10_000 })).resolves.toBe(true);
    await expect(store.begin(begun)).resolves.toEqual({ status: 'completed', result: '1' });

    const histogram = await otel.histogram('idempotency.store.duration');
    expect(histogram?.points.map((point) => [point.attributes, point.value.count])).toEqual([
      [{ 'idempotency.store.transition': 'begin' }, 2],
      [{ 'idempotency.store.transition': 'extend' }, 1],
      [{ 'idempotency.store.transition': 'release', 'error.type': 'TypeError' }, 1],
      [{ 'idempotency.store.transition': 'complete' }, 1],
    ]);
  });

  it('a meter that throws never turns a transition that happened into a store error (a begin that acquired stays acquired)', async () => {
    const memory = createMemoryStore();
    const histogram = {
      record: () => {
        throw new Error('meter down');
      },
    };
    const meter = {
      createHistogram: () => histogram,
      createCounter: () => ({ add() {} }),
      createUpDownCounter: () => ({ add() {} }),
    };
    const store = instrumentStore(memory, { meterProvider: { getMeter: () => meter } as never });
    const begun = { id: 'r1', scopeId: 's', fingerprint: 'f', owner: 'o', leaseMs: 1_000, ttlMs: 10_000 };
    await expect(store.begin(begun)).resolves.toEqual({ status: 'acquired', fence: 1, takeover: false });
    await expect(store.complete({ id: 'r1', owner: 'o', result: '1', ttlMs: 10_000 })).resolves.toBe(true);
    const engine = createIdempotencyEngine({ store });
    let runs = 0;
    const run = async () => ++runs;
    await engine.execute({ ...request, key: 'k-2', run });
    await expect(engine.execute({ ...request, key: 'k-2', run })).resolves.toEqual({ value: 1, replayed: true });
    expect(runs).toBe(1);
  });
});
