import { Redis } from 'ioredis';

/** Sends one exchange to the redis-server on `port` over a short-lived connection that never retries. */
export async function askRedis<T>(port: number, call: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return await call(client);
  } finally {
    client.disconnect();
  }
}
