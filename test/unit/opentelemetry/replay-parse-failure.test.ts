// Origin: an adversarial review of the performance changes (shared heartbeat, synchronous observer end).
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdempotencyEngine, createMemoryStore, type IdempotencyEvent } from '../../../src/index.js';
import { createIdempotencyTelemetry } from '../../../src/opentelemetry/index.js';
import { createOtel, useContextManager } from '../../support/opentelemetry/otel.js';

/**
 * A stored text the codec cannot read back (a codec changed between deployments, a superjson text
 * it cannot parse) is an error for the caller and for observers alike: no `replayed` event, the
 * operation counted as `error` and its span status ERROR (docs/observability.md).
 */
useContextManager();
const otel = createOtel();
afterEach(() => {
  trace.disable();
  metrics.disable();
});

describe('a replay whose stored result cannot be parsed', () => {
  it('is not counted as replayed, and its span is an error', async () => {
    const telemetry = createIdempotencyTelemetry({
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    const events: IdempotencyEvent[] = [];
    const engine = createIdempotencyEngine({
      store: createMemoryStore(),
      instrument: telemetry.instrument,
      onEvent: (event) => events.push(event),
    });
    const codec = {
      stringify: (value: string) => value,
      parse: (): string => {
        throw new SyntaxError('cannot read the stored result');
      },
    };
    const request = { scope: 'u', operation: 'pay', key: 'k', input: {}, codec, run: async () => 'charged' };
    await engine.execute(request);
    await expect(engine.execute(request)).rejects.toThrow('cannot read the stored result');

    const [, second] = otel.spans();
    expect(second!.attributes['idempotency.outcome']).not.toBe('replayed');
    expect(second!.status.code).toBe(SpanStatusCode.ERROR);
    expect(await otel.count('idempotency.operations', { 'idempotency.outcome': 'replayed' })).toBe(0);
    expect(events.map((event) => event.type)).toEqual(['executed']); // nothing was replayed
  });
});
