import { createClient, createCluster } from 'redis';
import { afterAll, inject } from 'vitest';

type Closable = { readonly isReady?: boolean; close(): Promise<unknown>; destroy(): void };
const opened: Closable[] = [];
afterAll(async () => {
  // A client still reconnecting to a server that went away would wait for it to close: destroy it.
  await Promise.all(
    opened
      .splice(0)
      .map((client) => (client.isReady !== false ? client.close().catch(() => client.destroy()) : client.destroy())),
  );
});

/**
 * A new, connected node-redis client on the run's redis-server (or `url`), closed after the file's
 * tests. `resp2` speaks RESP2, as the test proxies that frame replies expect (node-redis 6 may
 * otherwise negotiate RESP3).
 */
export async function connectNodeRedis(url = inject('redisUrl'), options: { resp2?: boolean } = {}) {
  const client = createClient({
    url,
    socket: { connectTimeout: 1_000 },
    ...(options.resp2 ? { RESP: 2 as const } : {}),
  });
  client.on('error', () => {}); // reconnects are the tests' business, not an unhandled 'error' event
  opened.push(client);
  await client.connect();
  return client;
}

/** A new, connected node-redis Cluster client on `startupNodes`, closed after the file's tests. */
export async function connectNodeRedisCluster(startupNodes: { host: string; port: number }[]) {
  const cluster = createCluster({
    rootNodes: startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  });
  cluster.on('error', () => {});
  opened.push(cluster);
  await cluster.connect();
  return cluster;
}
