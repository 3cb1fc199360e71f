import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { CachePersistenceLayer } from '@aws-lambda-powertools/idempotency/cache';
import type { CacheClient } from '@aws-lambda-powertools/idempotency/cache/types';
import type { Redis } from 'ioredis';

/**
 * Powertools' cache persistence layer expects a node-redis / Valkey GLIDE style client
 * (`set(key, value, { EX, NX })`, `del([keys])`); this adapts an ioredis connection to it.
 */
export function powertoolsCacheClient(redis: Redis): CacheClient {
  return {
    get: (name) => redis.get(name),
    async set(name, value, options) {
      const { EX, NX } = (options ?? {}) as { EX?: number; NX?: boolean };
      const args: (string | number)[] = [];
      if (EX !== undefined) args.push('EX', EX);
      if (NX) args.push('NX');
      return (redis.set as (...all: unknown[]) => Promise<string | null>)(String(name), String(value), ...args);
    },
    del: (keys) => redis.del(...keys),
  };
}

/** The part of a Lambda context Powertools reads (types for `aws-lambda` are not installed). */
interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** The event handed to the Powertools-wrapped function: key and payload, like our engine's request. */
export interface PowertoolsEvent<Input> {
  key: string;
  input: Input;
  n: number;
}

/**
 * Wraps `work` with Powertools' `makeIdempotent` on Redis: key from `event.key`, in-progress
 * expiry from a fake Lambda context with `leaseMs` left (our lease). Runs outside Lambda. Unlike
 * our engine it compares no input fingerprint on repeats (see below), so it does less work.
 */
export function powertoolsIdempotent<Input, Output>(
  redis: Redis,
  work: (event: PowertoolsEvent<Input>) => Promise<Output>,
  leaseMs: number,
): (event: PowertoolsEvent<Input>) => Promise<Output> {
  const persistenceStore = new CachePersistenceLayer({ client: powertoolsCacheClient(redis) });
  // No `payloadValidationJmesPath`: in 2.35.0 the cache layer's `_updateRecord` drops the payload
  // hash when it completes a record, so with validation on every replay is rejected as a mismatch.
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', throwOnNoIdempotencyKey: true });
  const handler = makeIdempotent(async (event: PowertoolsEvent<Input>, _context: LambdaContext) => work(event), {
    persistenceStore,
    config,
    keyPrefix: 'bench:powertools',
  });
  const context: LambdaContext = { getRemainingTimeInMillis: () => leaseMs };
  return (event) => handler(event, context);
}
