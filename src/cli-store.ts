import type { IdempotencyStore } from './core/store.js';

/** A store opened by the CLI, and how to close its connection. */
export interface CliStore {
  store: IdempotencyStore;
  close(): Promise<void>;
}

/** What the CLI was told about the store. */
export interface CliStoreOptions {
  redis?: string;
  prefix?: string;
  postgres?: string;
  schema?: string;
  table?: string;
}

/** Loads an optional peer the CLI needs, with an error that names the package to install. */
async function peer<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch {
    throw new Error(`${purpose} needs the "${name}" package: npm install ${name}`);
  }
}

/** Throws that `what` at `url` (its host and port: never a password) could not be reached, and why. */
function unreachable(what: string, url: string, cause: unknown): never {
  let where = 'the given URL';
  try {
    where = new URL(url).host;
  } catch {
    // not a URL: the client said why
  }
  throw new Error(`cannot reach ${what} at ${where}: ${(cause as Error).message}`);
}

async function openRedis(url: string, prefix: string | undefined, timeout: number): Promise<CliStore> {
  const { createRedisStore } = await import('./stores/redis.js');
  let Ioredis: typeof import('ioredis').Redis | undefined;
  try {
    ({ Redis: Ioredis } = await import('ioredis'));
  } catch {
    // node-redis instead, below
  }
  if (Ioredis) {
    const client = new Ioredis(url, {
      lazyConnect: true,
      connectTimeout: timeout,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    let lastError: Error | undefined;
    client.on('error', (error: Error) => (lastError = error));
    await client.connect().catch((error: unknown) => unreachable('Redis', url, lastError ?? error));
    return { store: createRedisStore({ redis: client, prefix, timeout }), close: async () => void client.disconnect() };
  }
  const { createClient } = await peer<typeof import('redis')>('redis', '--redis (with ioredis or node-redis)');
  const client = createClient({ url, socket: { connectTimeout: timeout, reconnectStrategy: false } });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  await client.connect().catch((error: unknown) => unreachable('Redis', url, lastError ?? error));
  return { store: createRedisStore({ redis: client, prefix, timeout }), close: async () => void client.destroy() };
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

/** Opens the Redis (ioredis, else node-redis) or PostgreSQL store the options name. */
export function openCliStore(options: CliStoreOptions, timeout: number): Promise<CliStore> {
  return options.redis !== undefined
    ? openRedis(options.redis, options.prefix, timeout)
    : openPostgres(options.postgres!, options, timeout);
}
