import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  IdempotencyKeyMismatchError,
  IdempotencyStoreUnavailableError,
  type IdempotencyEngine,
} from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { uniquePrefix } from '../../support/redis/client.js';
import { startRedisSentinel, type RedisSentinel } from '../../support/redis/sentinel.js';

let deployment: RedisSentinel;
beforeAll(async () => {
  deployment = await startRedisSentinel({ sentinels: 3 });
});
afterAll(async () => {
  await deployment?.stop();
});

const request = { scope: 'tenant-1', operation: 'transfer', input: { amount: 3 } };

async function sentinelEngine(prefix: string): Promise<IdempotencyEngine> {
  // The same store code as for a single node: only the ioredis client is built differently.
  const redis = deployment.connect({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
  if (redis.status !== 'ready') await once(redis, 'ready');
  return createIdempotencyEngine({ store: createRedisStore({ redis, prefix, timeout: 1_000 }) });
}

async function onNode(port: number, call: (node: Redis) => Promise<unknown>) {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    return await call(node);
  } finally {
    node.disconnect();
  }
}

/** Retries like a client would (same key) while the store is away during the failover. */
async function executeUntilAnswered(engine: IdempotencyEngine, key: string, run: () => Promise<string>) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await engine.execute({ ...request, key, run });
    } catch (error) {
      if (!(error instanceof IdempotencyStoreUnavailableError) || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe('Redis store through Redis Sentinel (1 master, 1 replica, 3 Sentinels)', () => {
  it('runs once, replays and detects mismatches through an ioredis Sentinel client; records live on the master', async () => {
    const prefix = uniquePrefix('sentinel');
    const engine = await sentinelEngine(prefix);
    let runs = 0;
    const run = async () => `ran ${++runs}`;

    await expect(engine.execute({ ...request, key: 'k', run })).resolves.toEqual({ value: 'ran 1', replayed: false });
    await expect(engine.execute({ ...request, key: 'k', run })).resolves.toEqual({ value: 'ran 1', replayed: true });
    await expect(engine.execute({ ...request, input: { amount: 4 }, key: 'k', run })).rejects.toBeInstanceOf(
      IdempotencyKeyMismatchError,
    );
    expect(runs).toBe(1);
    expect(await onNode(deployment.master.port, (node) => node.keys(`${prefix}*`))).toHaveLength(1);
  });

  it('after a failover to the replica, the same client replays replicated records and serves new keys', async () => {
    const prefix = uniquePrefix('sentinel-failover');
    const engine = await sentinelEngine(prefix);
    let runs = 0;
    const run = async () => `ran ${++runs}`;
    await engine.execute({ ...request, key: 'before', run });
    // Replication is asynchronous; WAIT makes this record's copy on the replica certain before the kill.
    expect(await onNode(deployment.master.port, (node) => node.wait(1, 5_000))).toBe(1);

    await deployment.master.stop('SIGKILL');
    await deployment.waitForMaster(deployment.replica.port);

    await expect(executeUntilAnswered(engine, 'after', run)).resolves.toEqual({ value: 'ran 2', replayed: false });
    await expect(executeUntilAnswered(engine, 'before', run)).resolves.toEqual({ value: 'ran 1', replayed: true });
    expect(runs).toBe(2);
    expect(await deployment.announcedMasterPort()).toBe(deployment.replica.port);
  });
});
