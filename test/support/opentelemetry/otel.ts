import { context, type AttributeValue, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';

/** A metric reader that collects when asked: the test decides when to look. */
class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * Registers an AsyncLocalStorage context manager for the file's tests, as the OpenTelemetry Node SDK
 * does: the active span then follows a request through its awaits, so spans nest.
 */
export function useContextManager(): void {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    manager.disable();
    context.disable();
  });
}

/** An OpenTelemetry SDK with in-memory exporters: spans as they end, metrics when collected. */
export function createOtel() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });

  async function collect(): Promise<MetricData[]> {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }

  return {
    tracerProvider,
    meterProvider,
    /** The spans of this library (instrumentation scope `idempotent-mutations`), in the order they ended. */
    spans: () =>
      exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'idempotent-mutations'),
    /** Every finished span, the test's own parents included. */
    allSpans: () => exporter.getFinishedSpans(),
    collect,
    /** The sum of a counter over the points whose attributes include `where`. */
    async count(name: string, where: Attributes = {}): Promise<number> {
      const points = pointsOf(await collect(), name) as DataPoint<number>[];
      return points.filter((point) => matches(point.attributes, where)).reduce((sum, point) => sum + point.value, 0);
    },
    /** A counter's points as `{ attributes, value }`. */
    async points(name: string) {
      return (pointsOf(await collect(), name) as DataPoint<number>[]).map(({ attributes, value }) => ({
        attributes,
        value,
      }));
    },
    /** The histogram's points (with their attributes), and its descriptor. */
    async histogram(name: string) {
      const metric = (await collect()).find((data) => data.descriptor.name === name);
      if (!metric) return undefined;
      if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
      return { descriptor: metric.descriptor, points: metric.dataPoints as DataPoint<Histogram>[] };
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

export type Otel = ReturnType<typeof createOtel>;

function pointsOf(metrics: MetricData[], name: string): DataPoint<unknown>[] {
  return metrics
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
}

function matches(attributes: Attributes, where: Attributes): boolean {
  return Object.entries(where).every(([name, value]) => attributes[name] === value);
}

/** Every attribute value this library exported: span attributes, span event attributes, metric point attributes. */
export async function exportedValues(otel: Otel): Promise<string[]> {
  const values: AttributeValue[] = [];
  const take = (attributes: Attributes | undefined) => {
    for (const value of Object.values(attributes ?? {})) if (value !== undefined) values.push(value);
  };
  for (const span of otel.spans()) {
    values.push(span.name);
    take(span.attributes);
    for (const event of span.events) {
      values.push(event.name);
      take(event.attributes);
    }
  }
  for (const metric of await otel.collect()) {
    if (metric.descriptor.name.startsWith('idempotency.'))
      for (const point of metric.dataPoints) take(point.attributes);
  }
  return values.map((value) => (Array.isArray(value) ? value.join(',') : String(value)));
}

/** The span with this outcome; fails when there is not exactly one. */
export function onlySpan(spans: ReadableSpan[], outcome: string): ReadableSpan {
  const found = spans.filter((span) => span.attributes['idempotency.outcome'] === outcome);
  if (found.length !== 1)
    throw new Error(
      `expected one span with outcome ${outcome}, found ${found.length}: ${spans.map((span) => span.attributes['idempotency.outcome']).join(', ')}`,
    );
  return found[0]!;
}
