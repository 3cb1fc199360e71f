// Origin: an adversarial review of the store clients and the CLI.
// Redis clients configured to return integer replies as strings (ioredis `stringNumbers`,
// node-redis type mapping of RESP NUMBER to String) or bulk strings as Buffers are served like any
// other. Were the store to compare the scripts' integer replies with `=== 1`: every lease renewal (EXTEND, which
// did renew) reads as "lease lost", the heartbeat drops the lease, and a body that runs longer than
// one lease is taken over by a retry: the body runs twice, concurrently. (`complete` is misread as
// stale too: a false `stale-completion` event, though the result was stored.) A node-redis client
// mapping bulk strings to Buffer fails the other way: every first request is answered 422
// "already used with different parameters" and leaves the key locked for a lease — loud, but wrong.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESP_TYPES } from 'redis';
import { describe, expect, it } from 'vitest';
import type { IdempotencyEvent } from '../../../src/core/events.js';
import { createIdempotencyEngine } from '../../../src/engine.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectNodeRedis } from '../../support/node-redis-client.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';

async function slowBodyAndARetry(redis: Parameters<typeof createRedisStore>[0]['redis']) {
  const store = createRedisStore({ redis, prefix: uniquePrefix('numbers') });
  const events: string[] = [];
  const engine = createIdempotencyEngine({
    store,
    lease: 300,
    ttl: 600_000,
    onEvent: (event: IdempotencyEvent) => events.push(event.type),
  });
  let runs = 0;
  const request = {
    scope: 'alice',
    operation: 'createPayment',
    key: randomUUID(),
    input: { amount: 42 },
    run: async () => {
      const run = ++runs;
      await sleep(1_200); // four leases: the heartbeat must keep renewing it
      return { run };
    },
  };
  const first = engine.execute(request).catch((error: unknown) => error);
  await sleep(800); // the lease was renewed twice by now, if the renewals were believed
  const retry = await engine.execute(request).catch((error: unknown) => error);
  await first;
  return { runs, retry, events };
}

describe('a Redis client whose integer replies are strings', () => {
  it('ioredis stringNumbers: true: a slow body is not run again by a retry, its result is stored', async () => {
    const outcome = await slowBodyAndARetry(connectRedis({ stringNumbers: true }));
    expect(outcome.runs).toBe(1);
    expect((outcome.retry as Error).name).toBe('IdempotencyConcurrentRequestError');
  });

  it('node-redis typeMapping NUMBER → String: a slow body is not run again by a retry, its result is stored', async () => {
    const client = (await connectNodeRedis()).withTypeMapping({ [RESP_TYPES.NUMBER]: String });
    const outcome = await slowBodyAndARetry(client as never);
    expect(outcome.runs).toBe(1);
    expect((outcome.retry as Error).name).toBe('IdempotencyConcurrentRequestError');
  });
});

describe('a node-redis client whose bulk strings are Buffers', () => {
  it('typeMapping BLOB_STRING → Buffer: the first request runs and the retry replays', async () => {
    const client = (await connectNodeRedis()).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const store = createRedisStore({ redis: client as never, prefix: uniquePrefix('buffers') });
    const engine = createIdempotencyEngine({ store });
    let runs = 0;
    const request = {
      scope: 'alice',
      operation: 'createPayment',
      key: randomUUID(),
      input: {},
      run: async () => ++runs,
    };
    await expect(engine.execute(request)).resolves.toEqual({ value: 1, replayed: false });
    await expect(engine.execute(request)).resolves.toEqual({ value: 1, replayed: true });
  });
});
