import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { recordId } from '../../../../src/core/hashing.js';
import type { IdempotencyOptions } from '../../../../src/core/options.js';
import type { IdempotencyStore } from '../../../../src/core/store.js';
import { createIdempotencyTelemetry } from '../../../../src/opentelemetry/index.js';
import { createRedisStore } from '../../../../src/stores/redis.js';
import { freePort } from '../../../support/free-port.js';
import { connectRedis, uniquePrefix } from '../../../support/redis/client.js';
import {
  createOtel,
  exportedValues,
  onlySpan,
  useContextManager,
  type Otel,
} from '../../../support/opentelemetry/otel.js';
import type { App, Transport } from './transport.js';

const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

/** Raw values that must never be exported: the key, the user (scope) and the input. */
const KEY = 'pay-KEY-raw-8f2c';
const USER = 'alice-USER-raw-55e1';
const AMOUNT = 7130;

/** The spans, counters and histogram of `createIdempotencyTelemetry`, through `transport` over HTTP, on the real Redis store. */
export function describeTelemetry(transport: Transport): void {
  useContextManager();
  const redis = connectRedis();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  const op = transport.operations.pay;

  /** A fresh SDK, telemetry and app; `holdNext()` makes the next mutation body wait until released. */
  async function setup(options: IdempotencyOptions & { store?: IdempotencyStore } = {}) {
    const otel = createOtel();
    const telemetry = createIdempotencyTelemetry({
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    const holds: Promise<void>[] = [];
    const app: App = await transport.start({
      idempotency: {
        ...options,
        store: telemetry.store(options.store ?? createRedisStore({ redis, prefix: uniquePrefix('otel') })),
        instrument: telemetry.instrument,
      },
      hold: () => holds.shift() ?? Promise.resolve(),
      tracer: otel.tracerProvider.getTracer('test-server'),
    });
    cleanups.push(async () => {
      await app.close();
      await otel.shutdown();
    });
    const holdNext = () => {
      let release!: () => void;
      holds.push(new Promise<void>((resolve) => (release = resolve)));
      return release;
    };
    const pay = (amount = AMOUNT) => app.call({ key: KEY, user: USER, amount });
    return { otel, app, holdNext, pay };
  }

  /**
   * Every span of the library is a child of one of the server's own spans, in its trace; and no
   * exported span name, attribute, span event or metric point holds the raw key, user or input.
   */
  async function expectNestedAndNothingRaw(otel: Otel) {
    const parentOf = (span: ReadableSpan) =>
      otel.allSpans().find((candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId);
    await until(() => otel.spans().every((span) => parentOf(span) !== undefined)); // a server span ends once its response is sent
    for (const span of otel.spans()) {
      expect(parentOf(span)?.instrumentationScope.name).toBe('test-server');
      expect(parentOf(span)?.spanContext().traceId).toBe(span.spanContext().traceId);
    }
    const values = await exportedValues(otel);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) {
      expect(value).not.toContain(KEY);
      expect(value).not.toContain(USER);
      expect(value).not.toBe(String(AMOUNT));
    }
  }

  const operations = (otel: Otel, outcome: string) =>
    otel.count('idempotency.operations', { 'idempotency.operation': op, 'idempotency.outcome': outcome });

  describe(`OpenTelemetry through ${transport.name} on the Redis store`, () => {
    it('a first execution: one span under the server span, outcome executed with fence 1, counted', async () => {
      const { otel, app, pay } = await setup();
      expect(await pay()).toMatchObject({ status: 200, fence: 1 });
      expect(app.runs()).toBe(1);

      const [span, ...others] = otel.spans();
      expect(others).toEqual([]);
      expect(span!.name).toBe(`idempotency ${op}`);
      expect(span!.kind).toBe(SpanKind.INTERNAL);
      expect(span!.instrumentationScope).toMatchObject({ name: pkg.name, version: pkg.version });
      expect(span!.attributes).toEqual({
        'idempotency.operation': op,
        'idempotency.outcome': 'executed',
        'idempotency.record_id': recordId(USER, op, KEY),
        'idempotency.fence': 1,
        'idempotency.takeover': false,
      });
      expect(span!.status.code).toBe(SpanStatusCode.UNSET);
      const parent = otel.allSpans().find((candidate) => candidate.name === transport.parentSpan);
      expect(parent, 'the server span').toBeDefined();
      expect(span!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
      expect(span!.spanContext().traceId).toBe(parent!.spanContext().traceId);

      expect(await operations(otel, 'executed')).toBe(1);
      expect(await otel.points('idempotency.operations')).toEqual([
        { attributes: { 'idempotency.operation': op, 'idempotency.outcome': 'executed' }, value: 1 },
      ]);
      await expectNestedAndNothingRaw(otel);
    });

    it('a replay: outcome replayed, no fence, counted apart from the execution', async () => {
      const { otel, app, pay } = await setup();
      await pay();
      expect((await pay()).status).toBe(200);
      expect(app.runs()).toBe(1);

      const replayed = onlySpan(otel.spans(), 'replayed');
      expect(replayed.attributes).toEqual({
        'idempotency.operation': op,
        'idempotency.outcome': 'replayed',
        'idempotency.record_id': recordId(USER, op, KEY),
      });
      expect(replayed.parentSpanContext?.spanId).toBeDefined();
      expect(await operations(otel, 'executed')).toBe(1);
      expect(await operations(otel, 'replayed')).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });

    it('a conflict (409): its own span with outcome conflict while the first still runs', async () => {
      const { otel, app, holdNext, pay } = await setup();
      const release = holdNext();
      const first = pay();
      await until(() => app.runs() === 1);
      expect((await pay()).status).toBe(409);
      expect(otel.spans().map((span) => span.attributes['idempotency.outcome'])).toEqual(['conflict']);
      release();
      expect((await first).status).toBe(200);

      const conflict = onlySpan(otel.spans(), 'conflict');
      expect(conflict.attributes).toEqual({
        'idempotency.operation': op,
        'idempotency.outcome': 'conflict',
        'idempotency.record_id': recordId(USER, op, KEY),
      });
      expect(conflict.status.code).toBe(SpanStatusCode.UNSET);
      expect(onlySpan(otel.spans(), 'executed').spanContext().spanId).not.toBe(conflict.spanContext().spanId);
      expect(await operations(otel, 'conflict')).toBe(1);
      expect(await operations(otel, 'executed')).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });

    it('a mismatch (422): outcome mismatch, counted, nothing run', async () => {
      const { otel, app, pay } = await setup();
      await pay(AMOUNT);
      expect((await pay(AMOUNT + 1)).status).toBe(422);
      expect(app.runs()).toBe(1);

      expect(onlySpan(otel.spans(), 'mismatch').attributes).toEqual({
        'idempotency.operation': op,
        'idempotency.outcome': 'mismatch',
        'idempotency.record_id': recordId(USER, op, KEY),
      });
      expect(await operations(otel, 'mismatch')).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });

    it('a takeover: a holder stalls past its lease, the retry takes over with fence 2, the holder completes stale', async () => {
      const { otel, app, holdNext, pay } = await setup({ lease: 60, maxRunTime: 60 });
      const release = holdNext();
      const holder = pay();
      await until(() => app.runs() === 1);
      await sleep(250); // past maxRunTime (the heartbeat stops) and the lease after it

      expect(await pay()).toMatchObject({ status: 200, fence: 2 });
      release();
      expect((await holder).status).toBe(200);
      expect(app.runs()).toBe(2);

      const rescuer = onlySpan(otel.spans(), 'executed');
      expect(rescuer.attributes).toMatchObject({
        'idempotency.fence': 2,
        'idempotency.takeover': true,
        'idempotency.record_id': recordId(USER, op, KEY),
      });
      const stale = onlySpan(otel.spans(), 'stale-completion');
      expect(stale.attributes).toMatchObject({
        'idempotency.fence': 1,
        'idempotency.takeover': false,
        'error.type': 'stale-completion',
      });
      expect(stale.status.code).toBe(SpanStatusCode.ERROR);
      expect(stale.events.map((event) => event.name)).toContain('idempotency.run_limit_exceeded');

      expect(await otel.count('idempotency.takeovers', { 'idempotency.operation': op })).toBe(1);
      expect(await operations(otel, 'executed')).toBe(1);
      expect(await operations(otel, 'stale-completion')).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });

    it('a store error (Redis at a closed port): outcome store-unavailable (503), a store error counted, the failed begin timed', async () => {
      const down = connectRedis({ maxRetriesPerRequest: 0 }, `redis://127.0.0.1:${await freePort()}`);
      down.on('error', () => {}); // the refused connections are the point
      const { otel, app, pay } = await setup({ store: createRedisStore({ redis: down, timeout: 300 }) });
      expect((await pay()).status).toBe(503);
      expect(app.runs()).toBe(0);

      const span = onlySpan(otel.spans(), 'store-unavailable');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        'error.type': 'store-unavailable',
        'idempotency.record_id': recordId(USER, op, KEY),
      });
      expect(span.events.map((event) => event.name)).toEqual(['idempotency.store_error']);
      expect(span.events[0]!.attributes?.['error.type']).toEqual(expect.any(String));

      expect(await operations(otel, 'store-unavailable')).toBe(1);
      expect(await otel.count('idempotency.store.errors', { 'idempotency.operation': op })).toBe(1);
      const histogram = await otel.histogram('idempotency.store.duration');
      expect(
        histogram?.points.map((point) => ({
          transition: point.attributes['idempotency.store.transition'],
          failed: typeof point.attributes['error.type'],
          count: point.value.count,
        })),
      ).toEqual([{ transition: 'begin', failed: 'string', count: 1 }]);
      await expectNestedAndNothingRaw(otel);
    });

    it('fail-open: the store fails at begin, the operation runs anyway, and the span says so', async () => {
      const down = connectRedis({ maxRetriesPerRequest: 0 }, `redis://127.0.0.1:${await freePort()}`);
      down.on('error', () => {});
      const { otel, app, pay } = await setup({
        store: createRedisStore({ redis: down, timeout: 300 }),
        failMode: 'open',
      });
      expect((await pay()).status).toBe(200);
      expect(app.runs()).toBe(1);

      const span = onlySpan(otel.spans(), 'fail-open');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['idempotency.fence']).toBeUndefined();
      expect(await operations(otel, 'fail-open')).toBe(1);
      expect(await otel.count('idempotency.store.errors', { 'idempotency.operation': op })).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });

    it('a result too large to store, then its repeat: result-not-stored, then not-replayable', async () => {
      const { otel, app, pay } = await setup({ maxResultBytes: 1 });
      expect((await pay()).status).toBe(200);
      expect((await pay()).status).toBe(500);
      expect(app.runs()).toBe(1);

      expect(onlySpan(otel.spans(), 'result-not-stored').attributes).toMatchObject({
        'idempotency.fence': 1,
        'error.type': 'result-not-stored',
      });
      expect(onlySpan(otel.spans(), 'not-replayable').attributes).toMatchObject({ 'error.type': 'not-replayable' });
      expect(await operations(otel, 'result-not-stored')).toBe(1);
      expect(await operations(otel, 'not-replayable')).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });

    it('the store latency histogram has points per transition: begin, extend, complete, release (ms)', async () => {
      const { otel, app, holdNext, pay } = await setup({ lease: 45 });
      const release = holdNext();
      const first = pay(); // begin, extend…, complete
      // Held until the heartbeat (every 15 ms for a 45 ms lease) has renewed the lease twice.
      const extendCount = async () =>
        (await otel.histogram('idempotency.store.duration'))?.points.find(
          (point) => point.attributes['idempotency.store.transition'] === 'extend',
        )?.value.count ?? 0;
      const deadline = Date.now() + 5_000;
      while ((await extendCount()) < 2 && Date.now() < deadline) await sleep(10);
      release();
      await first;
      await pay(); // begin (replay)
      await app.call({ key: 'fail-KEY-raw-1', user: USER, amount: AMOUNT, mutation: 'failing' }); // begin, release

      expect(onlySpan(otel.spans(), 'released').attributes['idempotency.operation']).toBe(transport.operations.failing);
      const histogram = await otel.histogram('idempotency.store.duration');
      expect(histogram?.descriptor.unit).toBe('ms');
      const byTransition = Object.fromEntries(
        histogram!.points.map((point) => [point.attributes['idempotency.store.transition'], point]),
      );
      expect(Object.keys(byTransition).sort()).toEqual(['begin', 'complete', 'extend', 'release']);
      expect(byTransition.begin!.value.count).toBe(3);
      expect(byTransition.complete!.value.count).toBe(1);
      expect(byTransition.release!.value.count).toBe(1);
      expect(byTransition.extend!.value.count).toBeGreaterThanOrEqual(2);
      for (const point of histogram!.points) {
        expect(point.attributes['error.type']).toBeUndefined();
        expect(point.value.min).toBeGreaterThanOrEqual(0);
        expect(point.value.max).toBeLessThan(5_000);
      }
      expect(
        await otel.count('idempotency.operations', {
          'idempotency.operation': transport.operations.failing,
          'idempotency.outcome': 'released',
        }),
      ).toBe(1);
      await expectNestedAndNothingRaw(otel);
    });
  });
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}
