/**
 * `derive(name)` through the engine: two Redis stores kept apart by their prefixes (a GraphQL field
 * and a tRPC procedure of the same name) give different derived keys for the same scope, operation
 * and key; the same store gives the same key on every attempt, with or without OpenTelemetry's store
 * wrapper. Origin: issue #18, December 2026.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdempotencyEngine, type IdempotencyStore } from '../../../src/index.js';
import { instrumentStore } from '../../../src/opentelemetry/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

async function derivedBy(store: IdempotencyStore, key: string): Promise<string> {
  const engine = createIdempotencyEngine({ store });
  let derived = '';
  // The body throws after deriving: the key is freed, so every call here runs (an attempt of one record).
  await engine
    .execute({
      scope: 'alice',
      operation: 'createCharge',
      key,
      input: {},
      run: async (context) => {
        derived = context.derive('stripe-charge');
        throw new Error('provider timed out');
      },
    })
    .catch(() => undefined);
  expect(derived).not.toBe('');
  return derived;
}

describe('derive through the engine', () => {
  it('differs between two store prefixes, and not between a store and its telemetry wrapper', async () => {
    const redis = connectRedis();
    const key = randomUUID();
    const graphql = await derivedBy(createRedisStore({ redis, prefix: uniquePrefix('gql') }), key);
    const trpc = await derivedBy(createRedisStore({ redis, prefix: uniquePrefix('trpc') }), key);
    expect(graphql).not.toBe(trpc);
    const prefix = uniquePrefix('wrapped');
    const plain = await derivedBy(createRedisStore({ redis, prefix }), key);
    const wrapped = await derivedBy(instrumentStore(createRedisStore({ redis, prefix })), key);
    expect(wrapped).toBe(plain);
    expect(await derivedBy(createRedisStore({ redis, prefix }), key)).toBe(plain); // a later attempt of the record
  });
});
