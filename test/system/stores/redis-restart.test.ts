import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  IdempotencyStoreUnavailableError,
  type IdempotencyEvent,
} from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';

/** Longest a request may take while Redis is down before the test calls it a hang (a guard, not a speed check). */
const HANG_GUARD_MS = 5_000;

let server: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  clients.forEach((client) => client.disconnect());
  await server.stop();
});

function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

async function connected(options: RedisOptions): Promise<Redis> {
  const client = new Redis(server.url, { lazyConnect: true, ...options });
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

const request = { scope: 'user-1', operation: 'transfer', input: { amount: 7 } };

describe.each([
  {
    clientOptions: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
    label: 'recommended client options (no offline queue)',
  },
  { clientOptions: {}, label: 'ioredis default options (the store timeout bounds each call)' },
])('Redis stopped and restarted on the same port, $label', ({ clientOptions }) => {
  it('fails closed while down (nothing runs), fails open on request, and works again with the same client', async () => {
    const client = await connected(clientOptions);
    const events: IdempotencyEvent[] = [];
    const store = createRedisStore({ redis: client, prefix: uniquePrefix('restart'), timeout: 1_000 });
    const closed = createIdempotencyEngine({ store, onEvent: (event) => events.push(event) });
    const open = createIdempotencyEngine({ store, failMode: 'open' });
    let runs = 0;
    const run = async () => ++runs;
    await expect(closed.execute({ ...request, key: 'before', run })).resolves.toEqual({ value: 1, replayed: false });

    await server.stop();
    const refused = settlesWithin(closed.execute({ ...request, key: 'while-down', run }), HANG_GUARD_MS);
    await expect(refused).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: 'IDEMPOTENCY_STORE_UNAVAILABLE', status: 503 });
    expect(runs).toBe(1);
    expect(events.at(-1)?.type).toBe('store-error');
    await expect(
      settlesWithin(open.execute({ ...request, key: 'while-down-open', run }), HANG_GUARD_MS),
    ).resolves.toEqual({
      value: 2,
      replayed: false,
    });

    await server.start();
    if (client.status !== 'ready') await once(client, 'ready');
    // A client retries with its key until the service answers; the same ioredis client reconnected on its own.
    const deadline = Date.now() + 15_000;
    let after: unknown;
    for (;;) {
      try {
        after = await closed.execute({ ...request, key: 'after-restart', run });
        break;
      } catch (error) {
        if (!(error instanceof IdempotencyStoreUnavailableError) || Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
    expect(after).toEqual({ value: 3, replayed: false });
    await expect(closed.execute({ ...request, key: 'after-restart', run })).resolves.toEqual({
      value: 3,
      replayed: true,
    });
    // The key refused while Redis was down is free (not held by a begin that landed late): it runs now, once.
    await expect(closed.execute({ ...request, key: 'while-down', run })).resolves.toEqual({
      value: 4,
      replayed: false,
    });
    expect(runs).toBe(4);
  });
});
