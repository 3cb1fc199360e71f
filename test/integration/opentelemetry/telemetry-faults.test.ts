/**
 * OpenTelemetry wiring whose providers fail (a meter provider that throws, a tracer whose
 * spans throw, an onEvent returning a thenable whose `then` throws). Promise: observers never change
 * an outcome: one run, replay, no key locked, no unhandled rejection, over real HTTP and Redis.
 * Includes reproductions from the adversarial reviews of November and December 2026.
 */
import { describe, expect, it } from 'vitest';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { createIdempotencyTelemetry } from '../../../src/opentelemetry/index.js';
import {
  asSfString as as,
  codes,
  post,
  redisStore,
  sleep,
  startYogaUrl as startYoga,
  watchUnhandledRejections,
} from '../../support/servers/yoga.js';

describe('telemetry whose providers throw', () => {
  it('a throwing meter provider and a tracer whose spans throw: one run, replay, key free after a throwing body', async () => {
    const unhandled = watchUnhandledRejections();
    const meterProvider = {
      getMeter() {
        throw new Error('meter down');
      },
    } as unknown as MeterProvider;
    const throwing = () => {
      throw new Error('span broken');
    };
    const tracerProvider = {
      getTracer: () => ({
        startSpan: () => ({ setAttribute: throwing, addEvent: throwing, setStatus: throwing, end: throwing }),
      }),
    } as unknown as TracerProvider;
    const telemetry = createIdempotencyTelemetry({ meterProvider, tracerProvider });
    let runs = 0;
    let fail = true;
    const url = await startYoga({
      label: 'r4-otel',
      typeDefs: 'type Query { ok: Boolean } type Mutation { pay(amount: Int!): Int! }',
      resolvers: {
        Mutation: {
          pay: (_: unknown, { amount }: { amount: number }) => {
            runs++;
            if (amount === 7 && fail) {
              fail = false;
              throw new Error('db down');
            }
            return amount;
          },
        },
      },
      idempotency: {
        store: telemetry.store(redisStore('r4-otel')),
        instrument: telemetry.instrument,
        onEvent: (() => ({
          get then() {
            throw new Error('thenable getter');
          },
        })) as never,
      },
    });
    const first = await post(url, { query: 'mutation { pay(amount: 5) }' }, as('alice', 'o-1'));
    const again = await post(url, { query: 'mutation { pay(amount: 5) }' }, as('alice', 'o-1'));
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([200, 200, 'true']);
    expect(runs).toBe(1);
    const failed = await post(url, { query: 'mutation { pay(amount: 7) }' }, as('alice', 'o-2'));
    expect(codes(failed.json)?.length).toBe(1);
    const retry = await post(url, { query: 'mutation { pay(amount: 7) }' }, as('alice', 'o-2'));
    expect({ status: retry.status, data: retry.json.data }).toEqual({ status: 200, data: { pay: 7 } });
    expect(runs).toBe(3);
    await sleep(50);
    expect(unhandled).toEqual([]);
  });
});
