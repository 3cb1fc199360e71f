import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/stores/redis.js';
import { connectRedis, uniquePrefix } from '../../support/redis/client.js';
import { startRedisServer, type RedisServer } from '../../support/redis/server.js';
import { post, startTestServer, type TestServer } from '../../support/servers/yoga.js';

const CREATE = 'mutation { createPayment(amount: 1) { id key fence } }';
const headers = { 'x-user': 'alice', 'idempotency-key': '"down-1"' };

describe('useIdempotency when Redis is unreachable', () => {
  let redisServer: RedisServer;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    redisServer = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await redisServer.stop();
  });

  async function start(failMode: 'open' | 'closed') {
    const redis = connectRedis({ enableOfflineQueue: false, maxRetriesPerRequest: 0 }, redisServer.url);
    redis.on('error', () => {}); // Connection errors are expected while redis-server is stopped.
    if (redis.status !== 'ready') await once(redis, 'ready');
    const server = await startTestServer({
      transport: 'fetch',
      idempotency: { store: createRedisStore({ redis, prefix: uniquePrefix('down'), timeout: 500 }), failMode },
    });
    servers.push(server);
    return { redis, server };
  }

  it('answers 503 without running (fail closed), and works again once Redis is back; fail open runs unguarded', async () => {
    const closed = await start('closed');
    const open = await start('open');
    await redisServer.stop();

    const refused = await post(closed.server, { query: CREATE }, headers);
    expect(refused.status).toBe(503);
    expect(refused.json.errors?.map((error) => error.extensions?.code)).toEqual(['IDEMPOTENCY_STORE_UNAVAILABLE']);
    expect(closed.server.runs.createPayment).toBeUndefined();

    const unguarded = await post(open.server, { query: CREATE }, headers);
    expect(unguarded.status).toBe(200);
    expect(unguarded.json.data).toEqual({ createPayment: { id: 'createPayment-1', key: 'down-1', fence: null } });

    await redisServer.start();
    if (closed.redis.status !== 'ready') await once(closed.redis, 'ready');
    const recovered = await post(closed.server, { query: CREATE }, headers);
    expect(recovered.status).toBe(200);
    expect(recovered.json.data).toEqual({ createPayment: { id: 'createPayment-1', key: 'down-1', fence: 1 } });
  });
});
