import type { IdempotencyStore } from './core/store.js';

/** A store opened by the CLI, and how to close its connection. */
export interface CliStore {
  store: IdempotencyStore;
  close(): Promise<void>;
  /**
   * Whether any key starts with the store's prefix (one Redis node: SCAN, up to 100 000 keys looked
   * at); `undefined` where it cannot tell.
   */
  hasKeys?(): Promise<boolean | undefined>;
}

/** `prefix` as a SCAN MATCH pattern of every key under it (glob characters escaped). */
const underPrefix = (prefix: string) => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;

/** Looks at up to 100 000 keys with `scan` for one under `prefix`: `undefined` when it did not get through them. */
async function anyKeyUnder(
  prefix: string,
  scan: (cursor: string, match: string) => Promise<{ cursor: string; keys: unknown[] }>,
): Promise<boolean | undefined> {
  let cursor = '0';
  for (let round = 0; round < 100; round++) {
    const reply = await scan(cursor, underPrefix(prefix));
    if (reply.keys.length > 0) return true;
    cursor = String(reply.cursor);
    if (cursor === '0') return false;
  }
  return undefined;
}

/** The nodes of a Redis Cluster the CLI was given, with what every node shares. */
export interface ClusterAddress {
  /** The startup nodes: the client discovers the others from them. */
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  /** `rediss://`: TLS to every node. */
  tls: boolean;
}

/** What the CLI was told about the store: exactly one of `redis`, `redisCluster`, `postgres`. */
export interface CliStoreOptions {
  redis?: string;
  redisCluster?: ClusterAddress;
  prefix?: string;
  postgres?: string;
  schema?: string;
  table?: string;
}

/**
 * `item` of `--redis-cluster` as an error message may show it: its scheme and host:port, never its
 * credentials (everything up to the last `@`) or path.
 */
function shownNode(item: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(item)?.[0] ?? '';
  const rest = item.slice(scheme.length);
  return scheme + rest.slice(rest.lastIndexOf('@') + 1).split('/')[0];
}

/**
 * Reads `--redis-cluster`: a comma-separated list of nodes, `redis://[user:password@]host:port`
 * (`rediss://` for TLS) or `host:port`. Every node shares the scheme and credentials of the first
 * that gives them. Throws naming the first address it cannot use (by host and port: never a password).
 */
export function parseClusterAddress(list: string): ClusterAddress {
  const address: ClusterAddress = { nodes: [], tls: false };
  let shared: string | undefined; // the scheme and credentials every node uses, as first given
  for (const item of list.split(',').map((part) => part.trim())) {
    const shown = shownNode(item);
    let url: URL;
    try {
      url = new URL(item.includes('://') ? item : `redis://${item}`);
    } catch {
      throw new Error(`--redis-cluster: "${shown}" is neither redis://host:port nor host:port.`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      throw new Error(`--redis-cluster: "${shown}" is not a redis:// or rediss:// URL.`);
    if (!url.hostname) throw new Error(`--redis-cluster: "${shown}" has no host.`);
    if (!['', '/', '/0'].includes(url.pathname))
      throw new Error(`--redis-cluster: "${shown}" names a database; a Redis Cluster has only database 0.`);
    if (item.includes('://')) {
      const given = `${url.protocol}${url.username}:${url.password}`;
      if (shared !== undefined && given !== shared)
        throw new Error(`--redis-cluster: "${shown}" differs from the first node in scheme or credentials.`);
      shared = given;
      address.tls = url.protocol === 'rediss:';
      if (url.username) address.username = decodeURIComponent(url.username);
      if (url.password) address.password = decodeURIComponent(url.password);
    }
    address.nodes.push({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379) });
  }
  return address;
}

/** Loads an optional peer the CLI needs, with an error that names the package to install. */
async function peer<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new Error(`${purpose} needs the "${name}" package: npm install ${name}`);
  }
}

/** ioredis when it is installed, else `undefined` (node-redis is tried next). */
async function ioredis(): Promise<Pick<typeof import('ioredis'), 'Redis' | 'Cluster'> | undefined> {
  try {
    return await import('ioredis');
  } catch {
    return undefined;
  }
}

/**
 * Throws that `what` at `where` (hosts and ports: never a password) could not be reached, and why:
 * the error's message, and that of the last node an ioredis `Cluster` tried.
 */
function unreachable(what: string, where: string, cause: unknown): never {
  const { message, lastNodeError } = cause as Error & { lastNodeError?: Error };
  throw new Error(`cannot reach ${what} at ${where}: ${message}${lastNodeError ? ` ${lastNodeError.message}` : ''}`);
}

/** The host and port of `url`, for an error message. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the given URL'; // not a URL: the client says why
  }
}

/** A connected client: `connect()` resolved, or it threw naming `what` and `where` (and the client's last error). */
async function connected<Client extends NodeJS.EventEmitter>(
  client: Client,
  connect: (client: Client) => Promise<unknown>,
  what: string,
  where: string,
): Promise<Client> {
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  await connect(client).catch((error: unknown) => unreachable(what, where, lastError ?? error));
  return client;
}

async function openRedis(url: string, prefix: string | undefined, timeout: number): Promise<CliStore> {
  const { createRedisStore, redisStoreDefaults } = await import('./stores/redis.js');
  const where = hostOf(url);
  const io = await ioredis();
  if (io) {
    const client = await connected(
      new io.Redis(url, {
        lazyConnect: true,
        connectTimeout: timeout,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      }),
      (client) => client.connect(),
      'Redis',
      where,
    );
    return {
      store: createRedisStore({ redis: client, prefix, timeout }),
      close: async () => void client.disconnect(),
      hasKeys: () =>
        anyKeyUnder(prefix ?? redisStoreDefaults.prefix, async (cursor, match) => {
          const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1_000);
          return { cursor: next, keys };
        }),
    };
  }
  const { createClient } = await peer<typeof import('redis')>('redis', '--redis (with ioredis or node-redis)');
  const client = await connected(
    createClient({ url, socket: { connectTimeout: timeout, reconnectStrategy: false } }),
    (client) => client.connect(),
    'Redis',
    where,
  );
  return {
    store: createRedisStore({ redis: client, prefix, timeout }),
    close: async () => void client.destroy(),
    hasKeys: () =>
      anyKeyUnder(prefix ?? redisStoreDefaults.prefix, async (cursor, match) => {
        const reply = await client.scan(cursor as never, { MATCH: match, COUNT: 1_000 });
        return { cursor: String(reply.cursor), keys: reply.keys };
      }),
  };
}

async function openRedisCluster(
  address: ClusterAddress,
  prefix: string | undefined,
  timeout: number,
): Promise<CliStore> {
  const { createRedisStore } = await import('./stores/redis.js');
  const { nodes, username, password, tls } = address;
  const where = nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  const io = await ioredis();
  if (io) {
    const cluster = await connected(
      new io.Cluster(nodes, {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        slotsRefreshTimeout: timeout,
        redisOptions: {
          username,
          password,
          ...(tls && { tls: {} }),
          connectTimeout: timeout,
          maxRetriesPerRequest: 0,
        },
      }),
      (cluster) => cluster.connect(),
      'the Redis Cluster',
      where,
    );
    return {
      store: createRedisStore({ redis: cluster, prefix, timeout }),
      close: async () => void cluster.disconnect(),
    };
  }
  const { createCluster } = await peer<typeof import('redis')>('redis', '--redis-cluster (with ioredis or node-redis)');
  const socket = { connectTimeout: timeout, reconnectStrategy: false as const };
  const cluster = await connected(
    createCluster({
      rootNodes: nodes.map((node) => ({ socket: node })),
      defaults: { username, password, socket: tls ? { ...socket, tls: true } : socket },
    }),
    (cluster) => cluster.connect(),
    'the Redis Cluster',
    where,
  );
  return { store: createRedisStore({ redis: cluster, prefix, timeout }), close: async () => void cluster.destroy() };
}

async function openPostgres(url: string, options: CliStoreOptions, timeout: number): Promise<CliStore> {
  const { createPostgresStore } = await import('./stores/postgres.js');
  const pg = await peer<typeof import('pg') & { default?: typeof import('pg') }>('pg', '--postgres');
  const pool = new (pg.default ?? pg).Pool({ connectionString: url, max: 1, connectionTimeoutMillis: timeout });
  pool.on('error', () => {});
  const store = createPostgresStore({
    pool,
    schema: options.schema,
    table: options.table,
    createSchema: false,
    cleanupInterval: 0,
    timeout,
  });
  return { store, close: () => pool.end() };
}

/** Opens the Redis or Redis Cluster (ioredis, else node-redis) or PostgreSQL store the options name. */
export function openCliStore(options: CliStoreOptions, timeout: number): Promise<CliStore> {
  if (options.redis !== undefined) return openRedis(options.redis, options.prefix, timeout);
  if (options.redisCluster !== undefined) return openRedisCluster(options.redisCluster, options.prefix, timeout);
  return openPostgres(options.postgres!, options, timeout);
}
