import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from '../free-port.js';
import { startRedisServer, type RedisServer } from './server.js';
import { askRedis } from './ask.js';

/** Shape of a test Sentinel deployment. */
export interface RedisSentinelOptions {
  /** Number of Sentinel processes; the quorum is a majority of them. Defaults to `3`. */
  sentinels?: number;
  /** `down-after-milliseconds`: how soon a silent master counts as down. Defaults to `1_000`. */
  downAfterMs?: number;
}

/** A master, one replica and Sentinels watching them, all real processes on loopback ports. */
export interface RedisSentinel {
  /** The master group name, for `new Redis({ sentinels, name })`. */
  readonly name: string;
  readonly master: RedisServer;
  readonly replica: RedisServer;
  /** `{ host, port }` of every Sentinel. */
  readonly sentinelAddresses: { host: string; port: number }[];
  /** A new ioredis client that finds the master through the Sentinels, closed by `stop`. */
  connect(options?: RedisOptions): Redis;
  /** Port of the master the Sentinels currently announce. */
  announcedMasterPort(): Promise<number>;
  /** Resolves once every Sentinel announces `port` as master and knows all its peers. */
  waitForMaster(port: number, timeoutMs?: number): Promise<void>;
  /** Stops every process. */
  stop(): Promise<void>;
}

const NAME = 'mymaster';

async function waitForReplicaSync(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await askRedis(port, (client) => client.info('replication'))).includes('master_link_status:up')) {
    if (Date.now() > deadline) throw new Error(`replica ${port} not in sync within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Starts master, replica and `sentinels` Sentinels, and waits until the Sentinels agree on the master and know each other. */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const { sentinels: count = 3, downAfterMs = 1_000 } = options;
  const master = await startRedisServer();
  const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  const quorum = Math.floor(count / 2) + 1;
  const sentinels = await Promise.all(
    Array.from({ length: count }, async () => {
      const configFile = join(mkdtempSync(join(tmpdir(), 'idem-sentinel-')), 'sentinel.conf');
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${NAME} 127.0.0.1 ${master.port} ${quorum}`,
          `sentinel down-after-milliseconds ${NAME} ${downAfterMs}`,
          `sentinel failover-timeout ${NAME} ${downAfterMs * 3}`,
          '',
        ].join('\n'),
      );
      return startRedisServer(['--sentinel'], await freePort(), { configFile, readyLine: '+monitor master' });
    }),
  );
  const clients: Redis[] = [];
  const sentinelAddresses = sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port }));

  async function stop(): Promise<void> {
    clients.splice(0).forEach((client) => client.disconnect());
    await Promise.all([...sentinels, replica, master].map((server) => server.stop('SIGKILL')));
  }

  async function agreesOn(sentinelPort: number, port: number): Promise<boolean> {
    const [address, peers, replicas] = await askRedis(sentinelPort, (client) =>
      Promise.all([
        client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME) as Promise<[string, string]>,
        client.call('SENTINEL', 'SENTINELS', NAME) as Promise<unknown[]>,
        client.call('SENTINEL', 'REPLICAS', NAME) as Promise<unknown[]>,
      ]),
    );
    return Number(address[1]) === port && peers.length === count - 1 && (port !== master.port || replicas.length === 1);
  }

  async function waitForMaster(port: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(sentinels.map((sentinel) => agreesOn(sentinel.port, port).catch(() => false)));
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`Sentinels did not agree on master ${port} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  try {
    await waitForMaster(master.port);
    await waitForReplicaSync(replica.port);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    name: NAME,
    master,
    replica,
    sentinelAddresses,
    connect(clientOptions = {}) {
      const client = new Redis({ sentinels: sentinelAddresses, name: NAME, ...clientOptions });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    async announcedMasterPort() {
      const address = (await askRedis(sentinels[0]!.port, (client) =>
        client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME),
      )) as [string, string];
      return Number(address[1]);
    },
    waitForMaster,
    stop,
  };
}
