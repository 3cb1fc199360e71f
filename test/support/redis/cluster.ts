import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { startRedisServer, type RedisServer } from './server.js';
import { askRedis } from './ask.js';

const run = promisify(execFile);

/** Shape of a test Redis Cluster. */
export interface RedisClusterOptions {
  /** Number of masters (at least 3, Redis' minimum). Defaults to `3`. */
  masters?: number;
  /** Replicas attached to each master. Defaults to `1`. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in milliseconds: how soon a dead master is failed over. Defaults to `1_000`. */
  nodeTimeout?: number;
}

/** A running Redis Cluster made of real `redis-server` processes on loopback ports. */
export interface RedisCluster {
  /** Every node, masters and replicas, by port. */
  readonly nodes: ReadonlyMap<number, RedisServer>;
  /** `{ host, port }` of every node, for `new Cluster(startupNodes)`. */
  readonly startupNodes: { host: string; port: number }[];
  /** A new ioredis `Cluster` client ({@link clusterClientDefaults} plus `options`), closed by `stop`. */
  connect(options?: ClusterOptions): Cluster;
  /** Ports of the current masters, as the cluster itself reports them. */
  masterPorts(): Promise<number[]>;
  /** Kills one node with SIGKILL (no goodbye to its peers). */
  kill(port: number): Promise<void>;
  /**
   * Resolves once every live node reports `cluster_state:ok`, every live replica is in sync, and
   * `masters` live nodes serve slots (so after `kill` of a master, once a replica took over).
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and waits for the processes to exit. */
  stop(): Promise<void>;
}

const HEALTHY_TIMEOUT_MS = 20_000;

/**
 * Client options that ride out a failover: a command to a dead master is retried every 200 ms
 * (ioredis refreshes its slot map meanwhile) and each node connection gives up quickly, so the
 * store's own `timeout` decides when a request fails instead of hanging.
 */
export const clusterClientDefaults: ClusterOptions = {
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  slotsRefreshTimeout: 1_000,
  redisOptions: { connectTimeout: 1_000, maxRetriesPerRequest: 1 },
};

/** Starts `masters × (1 + replicasPerMaster)` cluster-enabled redis-servers and joins them into one cluster. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, replicasPerMaster = 1, nodeTimeout = 1_000 } = options;
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeout),
  ];
  const servers = await Promise.all(
    Array.from({ length: masters * (1 + replicasPerMaster) }, () => startRedisServer(args)),
  );
  const nodes = new Map(servers.map((server) => [server.port, server]));
  const live = new Set(nodes.keys());

  async function isHealthy(port: number): Promise<boolean> {
    const [info, replication] = await askRedis(port, (client) =>
      Promise.all([client.cluster('INFO'), client.info('replication')]),
    );
    if (!info.includes('cluster_state:ok')) return false;
    return !replication.includes('role:slave') || replication.includes('master_link_status:up');
  }

  async function masterPorts(): Promise<number[]> {
    const [port] = live;
    const lines = (await askRedis(port!, (client) => client.call('CLUSTER', 'NODES') as Promise<string>))
      .trim()
      .split('\n');
    return lines
      .map((line) => line.split(' '))
      .filter(
        (fields) => fields[2]!.split(',').includes('master') && !fields[2]!.includes('fail') && fields[8] !== undefined,
      )
      .map((fields) => Number(fields[1]!.split(':')[1]!.split('@')[0]));
  }

  async function waitUntilHealthy(timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all([...live].map((port) => isHealthy(port).catch(() => false)));
      const liveMasters = (await masterPorts().catch(() => [])).filter((port) => live.has(port));
      if (states.every(Boolean) && liveMasters.length === masters) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  const clients: Cluster[] = [];
  async function stop(): Promise<void> {
    live.clear();
    clients.splice(0).forEach((client) => client.disconnect());
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
  }

  try {
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ]);
    await waitUntilHealthy();
  } catch (error) {
    await stop();
    throw error;
  }

  const startupNodes = servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  return {
    nodes,
    startupNodes,
    connect(clientOptions) {
      const client = new Cluster(startupNodes, { ...clusterClientDefaults, ...clientOptions });
      clients.push(client);
      return client;
    },
    masterPorts,
    async kill(port) {
      live.delete(port);
      await nodes.get(port)?.stop('SIGKILL');
    },
    waitUntilHealthy,
    stop,
  };
}
