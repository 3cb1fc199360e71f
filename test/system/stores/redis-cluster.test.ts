import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  IdempotencyConcurrentRequestError,
  IdempotencyKeyMismatchError,
  type IdempotencyEngine,
} from '../../../src/index.js';
import { createRedisStore } from '../../../src/stores/redis.js';
import { uniquePrefix } from '../../support/redis/client.js';
import { startRedisCluster, type RedisCluster } from '../../support/redis/cluster.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
});
afterAll(async () => {
  await cluster?.stop();
});

function clusterEngine(prefix: string): IdempotencyEngine {
  return createIdempotencyEngine({ store: createRedisStore({ redis: cluster.connect(), prefix }) });
}

/** Counts this prefix's keys on one node by SCAN. */
async function countKeys(port: number, prefix: string): Promise<number> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    let count = 0;
    for (let cursor = '0'; ;) {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      count += keys.length;
      cursor = next;
      if (cursor === '0') return count;
    }
  } finally {
    node.disconnect();
  }
}

describe('Redis store on a Redis Cluster (3 masters, 1 replica each)', () => {
  it('spreads 200 records over all three masters without CROSSSLOT errors and replays each', async () => {
    const prefix = uniquePrefix('cluster-spread');
    const engine = clusterEngine(prefix);
    const keys = Array.from({ length: 200 }, (_, index) => `key-${index}`);
    let runs = 0;
    const execute = (key: string) =>
      engine.execute({
        scope: 'user-1',
        operation: 'pay',
        key,
        input: { key },
        run: async () => ({ key, runs: ++runs }),
      });

    const first = await Promise.all(keys.map(execute));
    const again = await Promise.all(keys.map(execute));

    expect(runs).toBe(200);
    expect(first.every((outcome) => !outcome.replayed)).toBe(true);
    expect(again.every((outcome) => outcome.replayed)).toBe(true);
    expect(again.map((outcome) => outcome.value)).toEqual(first.map((outcome) => outcome.value));
    const masters = await cluster.masterPorts();
    const perMaster = await Promise.all(masters.map((port) => countKeys(port, prefix)));
    expect(masters).toHaveLength(3);
    expect(perMaster.every((count) => count > 0)).toBe(true);
    expect(perMaster.reduce((sum, count) => sum + count, 0)).toBe(200);
  });

  it('rejects the same key with other input as a mismatch, nothing runs', async () => {
    const engine = clusterEngine(uniquePrefix('cluster-mismatch'));
    let runs = 0;
    const run = async () => ++runs;
    await engine.execute({ scope: 'user-1', operation: 'pay', key: 'k', input: { amount: 1 }, run });
    await expect(
      engine.execute({ scope: 'user-1', operation: 'pay', key: 'k', input: { amount: 2 }, run }),
    ).rejects.toBeInstanceOf(IdempotencyKeyMismatchError);
    expect(runs).toBe(1);
  });

  it('lets exactly one of 100 concurrent first requests run; the others get 409, later repeats replay', async () => {
    const engine = clusterEngine(uniquePrefix('cluster-storm'));
    let runs = 0;
    let releaseRun!: () => void;
    const gate = new Promise<void>((resolve) => (releaseRun = resolve));
    const execute = () =>
      engine.execute({
        scope: 'user-1',
        operation: 'pay',
        key: 'storm',
        input: { amount: 5 },
        run: async () => {
          runs++;
          await gate;
          return { paid: 5, at: new Date(0) };
        },
      });

    let refusals = 0;
    const settled = Promise.allSettled(
      Array.from({ length: 100 }, () =>
        execute().catch((error: unknown) => {
          refusals++;
          throw error;
        }),
      ),
    );
    // Hold the winner until every other request has been answered, so none can arrive after completion.
    await expect.poll(() => refusals, { timeout: 20_000 }).toBe(99);
    releaseRun();
    const outcomes = await settled;
    const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');

    expect(runs).toBe(1);
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(99);
    expect(rejected.every((outcome) => outcome.reason instanceof IdempotencyConcurrentRequestError)).toBe(true);
    const replay = await execute();
    expect(replay.replayed).toBe(true);
    expect(replay.value.at).toBeInstanceOf(Date);
    expect(runs).toBe(1);
  });
});
