// node-redis as well as ioredis behind one scripting client: the store contract on a real Redis Cluster, with each client.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectNodeRedisCluster } from '../../support/node-redis-client.js';
import { startRedisCluster, type RedisCluster } from '../../support/redis/cluster.js';
import { uniquePrefix } from '../../support/redis/client.js';
import { beginRequest, describeStoreContract } from '../../support/stores/store-contract.js';

let cluster: RedisCluster;
let nodeRedisCluster: Awaited<ReturnType<typeof connectNodeRedisCluster>>;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  nodeRedisCluster = await connectNodeRedisCluster(cluster.startupNodes);
}, 60_000);
afterAll(async () => {
  await nodeRedisCluster?.close(); // before its nodes go away
  await cluster?.stop();
});

describeStoreContract('redis Cluster (ioredis)', () =>
  createRedisStore({ redis: cluster.connect(), prefix: uniquePrefix('cluster-io') }),
);
describeStoreContract('redis Cluster (node-redis)', () =>
  createRedisStore({ redis: nodeRedisCluster, prefix: uniquePrefix('cluster-node') }),
);

describe('redis Cluster: records spread over every master', () => {
  it.each([
    ['ioredis', () => cluster.connect()],
    ['node-redis', () => nodeRedisCluster],
  ] as const)('%s: 60 records, each on its own slot, all acquired, pinged and forgotten', async (_name, connect) => {
    const store = createRedisStore({ redis: connect(), prefix: uniquePrefix('cluster-spread') });
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const outcomes = await Promise.all(ids.map((id) => store.begin(beginRequest(id, 'o'))));
    expect(outcomes.every((outcome) => outcome.status === 'acquired')).toBe(true);
    await expect(store.ping()).resolves.toBeUndefined();
    const views = await Promise.all(ids.map((id) => store.inspect(id)));
    expect(views.map((view) => view?.state)).toEqual(ids.map(() => 'running'));
    await expect(Promise.all(ids.map((id) => store.forget(id)))).resolves.toEqual(ids.map(() => true));
  });
});
